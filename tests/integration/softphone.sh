#!/bin/sh
# The reference softphone page (contrib/softphone/) through whole calls in headless Chromium
# with a fake microphone playing 600 Hz, against a real livekit-server. The caller is
# LiveKit's Python SDK joined as a SIP participant (tests/integration/softphone_peer.py)
# playing 1000 Hz. Checked by content: the page shows the payload's caller and the caller's
# sip.callStatus; the caller hears 600 Hz from the page, silence while it is muted; the
# page hears 1000 Hz; keypad digits arrive as SipDTMF with their RFC 4733 codes; Hang up
# leaves the room; a caller who hangs up ends the page's call; a pasted payload works and
# a malformed one is refused. Skipped only when Debian's chromium is not installed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/integration/lk-lib.sh"
tap_watchdog 150

CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$CHROMIUM" ]; then
	echo "1..0 # SKIP Debian's chromium is not installed (contrib/dev/deps.sh test)"
	exit 0
fi
TEST_HOME=${SCAIDIAL_TEST_HOME:-$HOME/.cache/scaidial-test}
export NODE_PATH=$TEST_HOME/node/node_modules
LKJS=$TEST_HOME/livekit-client/livekit-client.umd.js
need() {
	not_ok "$1 (contrib/dev/deps.sh test)"
	done_testing
}
lk_find_server || need "livekit-server is installed"
lk_find_python || need "LiveKit's Python SDK is in the test venv"
command -v sox >/dev/null 2>&1 || need "sox is installed"
node -e 'require("puppeteer-core")' 2>/dev/null || need "puppeteer-core is installed under $NODE_PATH"
[ -f "$LKJS" ] || need "livekit-client is fetched into $(dirname "$LKJS")"

CHROME_PID= HTTP_PID= CALLER_PID=
sp_cleanup() {
	local p
	for p in $CALLER_PID $CHROME_PID $HTTP_PID; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $CALLER_PID $CHROME_PID $HTTP_PID; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	if [ "$TAP_FAILED" -ne 0 ]; then
		for f in caller.log chrome.log http.log; do
			[ -f "$T/$f" ] || continue
			echo "# --- $f ---"
			tail -n 25 "$T/$f" | cut -c1-300 | sed 's/^/# /'
		done
	fi
	lk_cleanup
}
trap sp_cleanup EXIT
cd "$T" || exit 1

# The page as a tenant would serve it: its two files and livekit-client next to them.
mkdir -p www
cp "$TOP_SRCDIR/contrib/softphone/index.html" "$TOP_SRCDIR/contrib/softphone/softphone.js" "$LKJS" www/
HTTP_PORT=$(lk_free_port)
python3 -m http.server --bind 127.0.0.1 --directory www "$HTTP_PORT" >http.log 2>&1 &
HTTP_PID=$!
lk_start_server || need "livekit-server starts"
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/index.html" || need "the page is served"

# The microphone: 600 Hz, looped by Chromium.
sox -n -r 48000 -c 1 -b 16 mic.wav synth 5 sine 600 vol 0.5
"$CHROMIUM" --headless=new --no-sandbox --user-data-dir="$T/chrome" --remote-debugging-port=0 \
    --use-fake-ui-for-media-stream --use-fake-device-for-media-stream \
    --use-file-for-fake-audio-capture="$T/mic.wav" --autoplay-policy=no-user-gesture-required \
    --allow-loopback-in-peer-connection --no-first-run --no-default-browser-check \
    --disable-gpu --disable-extensions --disable-background-networking --disable-sync \
    --password-store=basic about:blank >chrome.log 2>&1 &
CHROME_PID=$!
wait_until 20 test -s chrome/DevToolsActivePort || need "chromium starts"
export SP_WS="ws://127.0.0.1:$(sed -n 1p chrome/DevToolsActivePort)$(sed -n 2p chrome/DevToolsActivePort)"

drive() { node "$TOP_SRCDIR/tests/integration/softphone_drive.cjs" "$@"; }
status() { drive eval "softphone.status().$1" | tr -d '"'; }
# heard_after LINE HZ: the caller heard HZ (±10, clearly above silence) after log line LINE;
# prints the first such half second's figures.
heard_after() {
	tail -n +"$(($1 + 1))" caller.log | awk -v want="$2" -F'[ =]' '
	    /^caller: audio/ && $4 > want - 10 && $4 < want + 10 && $6 > 500 { print $4 " Hz, rms " $6; f = 1; exit }
	    END { exit !f }'
}
# silence_after LINE: a half second the caller heard as silence after log line LINE.
silence_after() {
	tail -n +"$(($1 + 1))" caller.log | awk -F'[ =]' '/^caller: audio/ && $6 < 50 { f = 1 } END { exit !f }'
}
lines() { wc -l <caller.log; }
token() { "$LK_PY" "$TOP_SRCDIR/tests/integration/softphone_peer.py" token "$LK_KEY" "$LK_SECRET" "$@"; }
# payload ROOM: the call.ringing body the daemon would send for a call in ROOM.
payload() {
	python3 -c 'import json, sys
print(json.dumps({"call_id": sys.argv[1][5:], "tenant": "acme", "extension": "1001",
    "user": "alice@acme", "from": "+15557770001", "to": "+15551230001", "room": sys.argv[1],
    "livekit_url": sys.argv[2], "token": sys.argv[3]}))' "$1" "$LK_URL" "$(token "$1" alice@acme)"
}
b64url() { python3 -c 'import base64, sys; print(base64.urlsafe_b64encode(sys.stdin.read().encode()).decode().rstrip("="))'; }
# start_caller ROOM [ARGS]: the caller joins ROOM first, as scaidial's participant does.
start_caller() {
	local room=$1
	shift
	: >caller.log
	"$LK_PY" "$TOP_SRCDIR/tests/integration/softphone_peer.py" caller "$LK_URL" \
	    "$(token "$room" sip_+15557770001 --sip +15557770001 +15551230001)" --tone 1000 "$@" \
	    >caller.log 2>caller.err &
	CALLER_PID=$!
	wait_until 15 grep -q '^caller: joined' caller.log
}

# --- Call 1: the payload in the URL fragment; answer, audio both ways, keypad, mute, hang up.
ROOM=call-11111111-2222-3333-4444-555555555555
start_caller "$ROOM" || need "the caller joins the room"
drive open "http://127.0.0.1:$HTTP_PORT/index.html#payload=$(payload "$ROOM" | b64url)" ||
    need "the page opens"
is "$(status from) $(status to) $(status phase)" "+15557770001 +15551230001 ringing" \
    "the page shows the call from the fragment's payload, ringing"
is "$(drive eval 'location.hash')" '""' "it drops the fragment (it holds the token) from the address bar"
drive click '#answer'
if drive wait 15 'softphone.status().phase === "connected"' >/dev/null; then
	ok "Answer joins the room and publishes the microphone"
else
	not_ok "Answer joins the room"; diag "$(drive eval 'softphone.status()')"
fi
v=$(drive wait 10 'softphone.status().callStatus === "active" && softphone.status().callerIdentity')
is "$v" '"sip_+15557770001"' "the page found the SIP participant and shows its sip.callStatus: active"
if wait_until 15 heard_after 0 600; then
	ok "the caller hears the page's microphone at 600 Hz ($(heard_after 0 600))"
else
	not_ok "the caller hears 600 Hz"; diag "$(grep audio caller.log | tail -n 5)"
fi
if v=$(drive wait 15 'Math.abs(softphone.status().incoming.hz - 1000) < 10 && softphone.status().incoming'); then
	ok "the page hears the caller at 1000 Hz ($v)"
else
	not_ok "the page hears the caller at 1000 Hz"; diag "$v"
fi
drive click '#keypad button[data-digit="7"]'
drive click '#keypad button[data-digit="#"]'
if wait_until 10 grep -q '^caller: dtmf # code 11 from alice@acme' caller.log; then
	like "$(grep '^caller: dtmf' caller.log | tr '\n' ' ')" \
	    '^caller: dtmf 7 code 7 from alice@acme caller: dtmf # code 11 from alice@acme $' \
	    "keypad 7 and # arrive at the caller as SipDTMF (codes 7, 11), in order"
else
	not_ok "keypad digits arrive as SipDTMF"; diag "$(grep dtmf caller.log)"
fi
is "$(status sent)" "7#" "the page counts the digits it sent"
mark=$(lines)
drive click '#mute'
if wait_until 10 silence_after "$mark"; then ok "muted, the caller hears silence"; else
	not_ok "muted, the caller hears silence"; diag "$(tail -n 4 caller.log)"; fi
is "$(drive eval 'document.getElementById("mute").textContent')" '"Unmute"' "the button now reads Unmute"
mark=$(lines)
drive click '#mute'
if wait_until 10 heard_after "$mark" 600; then ok "unmuted, the caller hears 600 Hz again ($(heard_after "$mark" 600))"; else
	not_ok "unmuted, the caller hears 600 Hz again"; diag "$(tail -n 4 caller.log)"; fi
like "$(status timerText)" '^0:[0-5][0-9]$' "the call timer runs ($(status timerText))"
[ "$(status seconds)" -ge 2 ] 2>/dev/null && ok "for as long as the call ($(status seconds) s)" ||
    not_ok "the timer counts the call's seconds"
drive click '#hangup'
if wait_until 10 grep -q '^caller: left alice@acme' caller.log; then ok "Hang up leaves the room (the caller sees the page go)"; else
	not_ok "Hang up leaves the room"; diag "$(tail -n 3 caller.log)"; fi
wait "$CALLER_PID"
is "$?" 0 "the caller ends cleanly"
CALLER_PID=
is "$(status phase) $(status endReason)" "ended hung up" "the page shows the call ended"

# --- Call 2: the payload pasted as JSON; the caller hangs up.
drive open "http://127.0.0.1:$HTTP_PORT/index.html" || need "the page opens"
drive eval 'document.getElementById("payload").value = "{\"token\": 1}"' >/dev/null
drive click '#load'
is "$(drive eval 'document.getElementById("error").textContent + " " + document.getElementById("call").hidden')" \
    '"the payload has no livekit_url true"' "a malformed payload is refused with a reason"
ROOM=call-66666666-7777-8888-9999-000000000000
start_caller "$ROOM" --hangup-on 9 || need "the caller joins the second room"
drive eval "document.getElementById('payload').value = $(payload "$ROOM" | python3 -c 'import json, sys; print(json.dumps(sys.stdin.read()))')" >/dev/null
drive click '#load'
is "$(status phase)" ringing "a pasted JSON payload loads the call"
drive click '#answer'
drive wait 15 'softphone.status().phase === "connected"' >/dev/null
drive click '#keypad button[data-digit="9"]'
if v=$(drive wait 10 'softphone.status().phase === "ended" && softphone.status().endReason'); then
	is "$v" '"the caller hung up"' "when the caller hangs up, the page's call ends"
else
	not_ok "when the caller hangs up, the page's call ends"; diag "$v"
fi
wait "$CALLER_PID"
is "$?" 0 "the second caller ends cleanly"
CALLER_PID=
done_testing
