#!/bin/sh
# The reference softphone page (contrib/softphone/) through whole calls in headless Chromium
# with a fake microphone playing 600 Hz, against a real livekit-server. The caller is
# LiveKit's Python SDK joined as a SIP participant (tests/integration/softphone_peer.py)
# playing 1000 Hz. Checked by content: the page shows the payload's caller and the caller's
# sip.callStatus; the caller hears 600 Hz from the page, silence while it is muted; the
# page hears 1000 Hz; keypad digits arrive as SipDTMF with their RFC 4733 codes; Hang up
# leaves the room; a caller who hangs up ends the page's call; a pasted payload works and
# a malformed one is refused. Then a whole call through scaidial: a SIP phone (baresip)
# rings the wave user, the webhook's body opens the page, the page answers, tones and a
# digit cross, and Hang up on the page ends the SIP call with a BYE; a phone that hangs up
# ends the page's call; a call placed with scaidial-ctl originate is joined from the page.
# Skipped only when Debian's chromium is not installed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/integration/lk-lib.sh"
tap_watchdog 240

# CHROMIUM overrides the browser.
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$CHROMIUM" ] || [ ! -x "$CHROMIUM" ]; then
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

DRIVE_PID='' CHROME_PID='' HTTP_PID='' CALLER_PID='' PHONE_PID=''
sp_cleanup() {
	local p
	exec 7>&- 8<&-
	for p in $DRIVE_PID $PHONE_PID $CALLER_PID $CHROME_PID $HTTP_PID; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $DRIVE_PID $PHONE_PID $CALLER_PID $CHROME_PID $HTTP_PID; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	if [ "$TAP_FAILED" -ne 0 ]; then
		for f in drive.err caller.log chrome.log http.log bs.log bs4.log bs5.log; do
			[ -f "$T/$f" ] || continue
			echo "# --- $f ---"
			tail -n 25 "$T/$f" | cut -c1-300 | sed 's/^/# /'
		done
	fi
	lk_cleanup
}
trap sp_cleanup EXIT
cd "$T" || exit 1

# The page as a tenant would serve it: its files and livekit-client next to them, under a
# Content-Security-Policy that allows no inline code and no other origin but LiveKit's.
mkdir -p www
cp "$TOP_SRCDIR/contrib/softphone/index.html" "$TOP_SRCDIR/contrib/softphone/softphone.js" \
    "$TOP_SRCDIR/contrib/softphone/softphone.css" "$LKJS" www/
HTTP_PORT=$(lk_free_port)
CSP="default-src 'self'; connect-src 'self' ws://127.0.0.1:*"
python3 - "$HTTP_PORT" "$CSP" >http.log 2>&1 <<'PY' &
import functools, http.server, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header("Content-Security-Policy", sys.argv[2])
        super().end_headers()
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])),
    functools.partial(Handler, directory="www")).serve_forever()
PY
HTTP_PID=$!
# lk_start_server waits 20 s; a loaded machine (valgrind, parallel tests) may need longer.
lk_start_server || wait_until 40 curl -sf "http://127.0.0.1:$LK_PORT/" || need "livekit-server starts"
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/index.html" || need "the page is served"

# The microphone: 600 Hz, looped by Chromium.
sox -n -r 48000 -c 1 -b 16 mic.wav synth 5 sine 600 vol 0.5
"$CHROMIUM" --headless=new --no-sandbox --user-data-dir="$T/chrome" --remote-debugging-port=0 \
    --use-fake-ui-for-media-stream --use-fake-device-for-media-stream \
    --use-file-for-fake-audio-capture="$T/mic.wav" --autoplay-policy=no-user-gesture-required \
    --allow-loopback-in-peer-connection --no-first-run --no-default-browser-check \
    --disable-gpu --disable-dev-shm-usage --disable-extensions --disable-background-networking \
    --disable-sync --password-store=basic about:blank >chrome.log 2>&1 &
CHROME_PID=$!
wait_until 20 test -s chrome/DevToolsActivePort || need "chromium starts"
SP_WS="ws://127.0.0.1:$(sed -n 1p chrome/DevToolsActivePort)$(sed -n 2p chrome/DevToolsActivePort)"
export SP_WS

# The page's driver: one node process for the whole test, steps through a pair of FIFOs
# (fd 7 to it, fd 8 from it). Opening them in this order lets its redirections complete.
mkfifo drive.in drive.out
node "$TOP_SRCDIR/tests/integration/softphone_drive.cjs" <drive.in >drive.out 2>drive.err &
DRIVE_PID=$!
exec 7>drive.in 8<drive.out
# drive STEP ARGS...: a step (softphone_drive.cjs); eval and wait print its value as JSON.
drive() {
	local rc out
	(IFS=$'\t'; printf '%s\n' "$*") >&7
	IFS=$'\t' read -r -t 60 rc out <&8 || { echo "# the driver is gone: $(tail -n 2 drive.err)"; return 1; }
	case $1 in
	eval | wait) printf '%s\n' "$out" ;;
	*) [ "$rc" -eq 0 ] || echo "# drive $1 $2: $out" ;;
	esac
	return "$rc"
}
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
secs=$(status seconds)
if [ "$secs" -ge 2 ] 2>/dev/null; then ok "for as long as the call ($secs s)"; else
	not_ok "the timer counts the call's seconds ($secs)"; fi
drive click '#hangup'
if wait_until 10 grep -q '^caller: left alice@acme' caller.log; then ok "Hang up leaves the room (the caller sees the page go)"; else
	not_ok "Hang up leaves the room"; diag "$(tail -n 3 caller.log)"; fi
wait "$CALLER_PID"
is "$?" 0 "the caller ends cleanly"
CALLER_PID=
is "$(status phase) $(status endReason) $(drive eval 'document.getElementById("paste").hidden')" \
    "ended hung up false" "the page shows the call ended, and the paste box for the next one"
is "$(drive eval 'window.cspViolations')" "[]" "the page and livekit-client ran under the CSP ($CSP)"

# --- Call 2: the payload pasted as JSON; the caller hangs up.
# A caller's display name is the caller's to choose: base64url of UTF-8 with markup in it.
drive open "http://127.0.0.1:$HTTP_PORT/index.html" || need "the page opens"
evil=$(python3 -c 'import json; print(json.dumps({"from": "<img src=x onerror=alert(1)>Zo\u00eb",
    "to": "+15551230001", "room": "r", "livekit_url": "ws://127.0.0.1:9", "token": "t"}))' | b64url)
drive eval "softphone.load('$evil')" >/dev/null
is "$(drive eval 'document.getElementById("from").textContent + " " + document.querySelectorAll("#call img").length')" \
    '"<img src=x onerror=alert(1)>Zoë 0"' "payload fields are shown as text (UTF-8 kept, markup inert)"
drive open "http://127.0.0.1:$HTTP_PORT/index.html" || need "the page opens"
drive eval 'document.getElementById("payload").value = "{\"token\": 1}"' >/dev/null
drive click '#load'
is "$(drive eval 'document.getElementById("error").textContent + " " + document.getElementById("call").hidden')" \
    '"the payload has no livekit_url true"' "a malformed payload is refused with a reason"
ROOM=call-66666666-7777-8888-9999-000000000000
start_caller "$ROOM" --hangup-on 9 || need "the caller joins the second room"
drive eval "document.getElementById('payload').value = $(payload "$ROOM" | python3 -c 'import json, sys; print(json.dumps(sys.stdin.read()))')" >/dev/null
drive click '#load'
is "$(status phase) $(status from) $(drive eval 'document.getElementById("paste").hidden')" \
    "ringing +15557770001 true" "a pasted JSON payload loads the call"
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

# --- Call 3: a whole call through scaidial. A phone (baresip on 127.0.0.3, playing 1000 Hz;
# its sndfile filter records what it hears) calls a DID whose rule rings the wave user;
# the webhook receiver gets call.ringing; its body opens the page (in the same window: only
# the fragment changes); the page answers and scaidial answers the phone; audio and a digit
# cross; Hang up on the page ends the SIP call with a BYE.
SECRET=softphone-secret
lk_start_webhooks "$SECRET" || need "the webhook receiver starts"
PHONE=127.0.0.3
CALLEE=127.0.0.5
CALLEE_PORT=$(free_port)
DB=$T/state/scaidial.db
write_config
cat >"$T/etc/scaidial.conf" <<EOF
general: {
  sip_listen = [ "udp:127.0.0.1:$SIP_PORT" ];
  database = "$DB"; spool_dir = "$T/spool"; control_socket = "$T/ctl.sock";
  log_level = "debug"; rtp_ports = [ 41000, 41999 ];
};
livekit: { url = "$LK_URL"; api_key = "$LK_KEY"; api_secret = "$LK_SECRET"; };
webhooks: { secret = "$SECRET"; wave_ring = "$HOOK/ok"; };
tenants = ( { id = "acme"; name = "Acme"; policy = { outbound_allow = [ "+1555888*" ]; }; } );
trunks = ( { id = "peer1"; tenant = "acme"; mode = "peer"; address = "sip:$PHONE:5060";
    allowed_addresses = [ "$PHONE/32" ]; codecs = [ "PCMU" ]; },
  { id = "out"; tenant = "acme"; mode = "peer"; address = "sip:$CALLEE:$CALLEE_PORT";
    allowed_addresses = [ "$CALLEE/32" ]; codecs = [ "PCMU" ]; } );
dids = ( { number = "+15551230001"; trunk = "peer1"; dialplan = "wave"; } );
extensions = ( { id = "1001"; tenant = "acme"; type = "wave"; user = "alice@acme"; } );
dialplans = ( { id = "wave"; tenant = "acme"; rules = ( { priority = 10;
    action = "ring_extension"; extension = "1001"; timeout = 30; on_no_answer = "hangup"; } ); } );
EOF
start_daemon || need "the daemon starts"
sox -n -r 8000 -c 1 -b 16 phone-tone.wav synth 30 sine 1000 vol 0.5
# phone_config DIR ADDRESS PORT: a baresip that plays 1000 Hz and records what it hears
# (sndfile) into DIR/.
phone_config() {
	mkdir -p "$1"
	cat >"$1/config" <<EOF
module_path /usr/lib/baresip/modules
poll_method epoll
net_interface $2
sip_listen $2:$3
rtp_ports 42000-42999
audio_source aufile,$T/phone-tone.wav
audio_player alsa,null
audio_alert alsa,null
snd_path $T/$1
module g711.so
module aufile.so
module alsa.so
module sndfile.so
module_tmp uuid.so
module_tmp account.so
module_app menu.so
EOF
	: >"$1/contacts"
}
# phone DIR NUMBER SECONDS: baresip calls the DID from NUMBER and quits (hanging up) after
# SECONDS; its console and SIP trace go to DIR.log.
phone() {
	phone_config "$1" "$PHONE" "$(free_port)"
	echo "<sip:$2@$PHONE>;regint=0;audio_codecs=PCMU" >"$1/accounts"
	# -e types a command into baresip's menu (the newline submits it).
	baresip -f "$T/$1" -s -t "$3" -e "/dial sip:+15551230001@127.0.0.1:$SIP_PORT
" </dev/null >"$1.log" 2>&1 &
	PHONE_PID=$!
}
phone bs +15557770003 40
ringing() { grep -q '"event": "call.ringing".*"sig_ok": true' events.jsonl; }
if wait_until 10 ringing; then ok "the phone's call rings the wave user: call.ringing is delivered, signed"; else
	not_ok "call.ringing is delivered"; diag "$(tail -n 5 bs.log)"; fi
BODY=$(python3 -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print([r["body"] for r in rows if r["event"] == "call.ringing"][-1])' events.jsonl 2>/dev/null)
drive open "http://127.0.0.1:$HTTP_PORT/index.html#payload=$(printf '%s' "$BODY" | b64url)" ||
    need "the page opens"
is "$(status from) $(status to) $(status phase)" "+15557770003 +15551230001 ringing" \
    "the page, still open, shows the phone's call from the webhook's body (a new fragment)"
drive click '#answer'
v=$(drive wait 15 'softphone.status().callStatus === "active" && softphone.status().callerIdentity')
is "$v" '"sip_+15557770003"' "the page answers; scaidial's SIP participant shows sip.callStatus: active"
if wait_until 10 grep -qi 'call established' bs.log; then ok "scaidial answers the phone (200 OK)"; else
	not_ok "scaidial answers the phone"; diag "$(tail -n 8 bs.log)"; fi
if v=$(drive wait 15 'Math.abs(softphone.status().incoming.hz - 1000) < 10 && softphone.status().incoming'); then
	ok "the page hears the phone at 1000 Hz ($v)"
else
	not_ok "the page hears the phone at 1000 Hz"; diag "$v"
fi
drive click '#keypad button[data-digit="5"]'
if wait_until 10 grep -q "received event: '5'" bs.log; then
	ok "keypad 5 reaches the phone as an RFC 4733 event"
else
	not_ok "keypad 5 reaches the phone as DTMF"; diag "$(tail -n 5 bs.log)"
fi
sleep 2
drive click '#hangup'
# got_bye [LOG]: baresip's SIP trace shows a BYE that came from scaidial.
got_bye() {
	python3 -c 'import re, sys
sys.exit(not re.search(r"UDP 127\.0\.0\.1:\d+ -> [\d.:]+\r?\n(\x1b\[[;\d]*m)?BYE sip:", open(sys.argv[1], errors="replace").read()))' "${1:-bs.log}"
}
if wait_until 10 got_bye; then
	ok "Hang up on the page ends the SIP call: the phone gets a BYE"
else
	not_ok "Hang up on the page ends the SIP call: the phone gets a BYE"; diag "$(tail -n 5 bs.log)"
fi
kill -TERM "$PHONE_PID" 2>/dev/null
wait "$PHONE_PID" 2>/dev/null
PHONE_PID=
got=$("$LK_PY" "$TOP_SRCDIR/tests/integration/softphone_peer.py" wavfreq bs/dump-*-dec.wav 2>/dev/null)
f=${got%%.*}
if [ -n "$f" ] && [ "$f" -ge 590 ] 2>/dev/null && [ "$f" -le 610 ]; then
	ok "the phone's recording holds the page's microphone: $got (Hz, rms)"
else
	not_ok "the phone's recording holds the page's 600 Hz: '$got'"
fi
wait_until 5 sh -c "sqlite3 '$DB' \"select cause from calls where caller = '+15557770003'\" | grep -q ."
is "$(sqlite3 "$DB" "select action || ' ' || cause || ' answered=' || (answered_ms > 0) from calls where caller = '+15557770003'")" \
    "ring_extension room_empty answered=1" "the call is recorded answered, and ended when the page left (room_empty)"
is "$(status phase)" ended "the page shows the call ended"

# --- Call 4: the phone hangs up (baresip quits after 8 s): the page's call ends.
phone bs4 +15557770004 8
if wait_until 10 sh -c 'grep -c "\"event\": \"call.ringing\"" events.jsonl | grep -qx 2'; then
	BODY=$(python3 -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print([r["body"] for r in rows if r["event"] == "call.ringing"][-1])' events.jsonl)
	drive open "http://127.0.0.1:$HTTP_PORT/index.html#payload=$(printf '%s' "$BODY" | b64url)" ||
	    need "the page opens"
	drive click '#answer'
	drive wait 10 'softphone.status().callStatus === "active"' >/dev/null
	v=$(drive wait 15 'softphone.status().phase === "ended" && softphone.status().from + " " + softphone.status().endReason')
	like "$v" '^"\+15557770004 the (caller hung up|call ended)"$' "when the phone hangs up, the page's call ends ($v)"
	is "$(drive eval 'window.cspViolations')" "[]" "through calls 2 to 4 the CSP refused nothing either"
else
	not_ok "the second phone call rings the wave user"
fi
wait "$PHONE_PID"
PHONE_PID=
wait_until 5 sh -c "sqlite3 '$DB' \"select cause from calls where caller = '+15557770004'\" | grep -q ."
is "$(sqlite3 "$DB" "select cause || ' answered=' || (answered_ms > 0) from calls where caller = '+15557770004'")" \
    "caller_bye answered=1" "the call is recorded answered, and ended by the phone's BYE"
# --- Call 5: the user places a call (scaidial-ctl originate) to a phone that answers at
# once (baresip on 127.0.0.5); originate's answer opens the page, which joins the room.
phone_config bs5 "$CALLEE" "$CALLEE_PORT"
echo "<sip:+15558880005@$CALLEE>;regint=0;answermode=auto;audio_codecs=PCMU" >bs5/accounts
baresip -f "$T/bs5" -s -t 40 </dev/null >bs5.log 2>&1 &
PHONE_PID=$!
wait_until 10 grep -q "baresip is ready" bs5.log || need "the called phone starts"
if ORIG=$(ctl --json originate --extension 1001 --to +15558880005 --trunk out 2>&1); then
	ok "originate places the call"; else not_ok "originate places the call"; diag "$ORIG"; fi
CALL=$(printf '%s' "$ORIG" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("call_id", ""))' 2>/dev/null)
drive open "http://127.0.0.1:$HTTP_PORT/index.html#payload=$(printf '%s' "$ORIG" | b64url)" ||
    need "the page opens"
is "$(status direction) $(status phase) $(status to) $(drive eval 'document.getElementById("answer").textContent')" \
    'outbound ready +15558880005 "Join call"' "originate's answer opens the page as a call the user placed"
drive click '#answer'
v=$(drive wait 20 'softphone.status().callStatus === "active" && softphone.status().callerIdentity')
is "$v" '"sip_+15558880005"' "the page joins; the called phone's SIP participant shows sip.callStatus: active"
if v=$(drive wait 15 'Math.abs(softphone.status().incoming.hz - 1000) < 10 && softphone.status().incoming'); then
	ok "the page hears the called phone at 1000 Hz ($v)"
else
	not_ok "the page hears the called phone at 1000 Hz"; diag "$v"
fi
drive click '#keypad button[data-digit="3"]'
if wait_until 10 grep -q "received event: '3'" bs5.log; then ok "keypad 3 reaches the called phone (RFC 4733)"; else
	not_ok "keypad 3 reaches the called phone"; diag "$(tail -n 5 bs5.log)"; fi
sleep 2
drive click '#hangup'
if wait_until 10 got_bye bs5.log; then ok "Hang up on the page ends the call: the called phone gets a BYE"; else
	not_ok "Hang up on the page ends the call: the called phone gets a BYE"; diag "$(tail -n 5 bs5.log)"; fi
kill -TERM "$PHONE_PID" 2>/dev/null
wait "$PHONE_PID" 2>/dev/null
PHONE_PID=
got=$("$LK_PY" "$TOP_SRCDIR/tests/integration/softphone_peer.py" wavfreq bs5/dump-*-dec.wav 2>/dev/null)
f=${got%%.*}
if [ -n "$f" ] && [ "$f" -ge 590 ] 2>/dev/null && [ "$f" -le 610 ]; then
	ok "the called phone's recording holds the page's microphone: $got (Hz, rms)"
else
	not_ok "the called phone's recording holds the page's 600 Hz: '$got'"
fi
wait_until 5 sh -c "sqlite3 '$DB' \"select cause from calls where id = '$CALL'\" | grep -q ."
is "$(sqlite3 "$DB" "select direction || ' ' || action || ' ' || cause || ' answered=' || (answered_ms > 0) from calls where id = '$CALL'")" \
    "outbound originate room_empty answered=1" "the call is recorded: outbound, answered, ended when the page left"
check "the daemon still runs" daemon_alive
stop_daemon
is "$STOP_RC" 0 "the daemon stops cleanly"
done_testing
