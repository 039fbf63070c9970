#!/bin/sh
# scaidial-lkprobe against a real livekit-server on 127.0.0.1, with LiveKit's own Python
# SDK as the other participant: the probe's 440 Hz must reach the Python side, the Python
# side's 1000 Hz must be in the probe's recording, SIP DTMF digits must cross the data
# channels both ways, and the probe must leave cleanly.
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/integration/lk-lib.sh"
# SCAIDIAL_WRAPPER (valgrind in test-all.sh) runs the probe too, and slows it.
tap_watchdog "$([ -n "${SCAIDIAL_WRAPPER:-}" ] && echo 300 || echo 120)"

PROBE=${SCAIDIAL_LKPROBE:-$TOP_BUILDDIR/scaidial-lkprobe}
probe() {
	${SCAIDIAL_WRAPPER:-} "$PROBE" "$@"
}
PEER=$TOP_SRCDIR/tests/integration/lk_peer.py

if ! lk_find_server; then
	not_ok "livekit-server found (contrib/dev/deps.sh test installs it)"
	done_testing
fi
if ! lk_find_python; then
	not_ok "the LiveKit Python SDKs' venv found (contrib/dev/deps.sh test makes it)"
	done_testing
fi
ok "livekit-server and the LiveKit Python SDKs are there"
if ! lk_start_server; then
	not_ok "livekit-server starts on 127.0.0.1:$LK_PORT"
	done_testing
fi
ok "livekit-server listens on 127.0.0.1:$LK_PORT"

# within tolerance GOT WANT TOL
within() { awk -v g="$1" -v w="$2" -v t="$3" 'BEGIN { d = g - w; exit !(d <= t && d >= -t) }'; }

room=probe-$$
tok_probe=$(lk_token "$room" probe)
tok_peer=$(lk_token "$room" pybot)
like "$tok_probe" '^ey[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "livekit.api mints a JWT"

"$LK_PY" "$PEER" peer "$LK_URL" "$tok_peer" --tone 1000 --from probe --timeout 40 \
    --dtmf '5*#' >"$T/peer.out" 2>&1 &
peer_pid=$!
wait_until 20 grep -q 'peer: publishing' "$T/peer.out"
check "the Python participant joined and publishes 1000 Hz" grep -q 'peer: publishing' "$T/peer.out"

probe --url "$LK_URL" --token "$tok_probe" --tone 440 --seconds 6 --record "$T/heard.wav" \
    --dtmf '12#9' -v >"$T/probe.out" 2>"$T/probe.err"
rc=$?
is "$rc" 0 "scaidial-lkprobe exits 0"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/probe.err" | tail -n 30
out=$(cat "$T/probe.out")
like "$out" "joined room $room as probe" "the probe joined the room"
like "$out" "participant pybot present" "the probe saw the Python participant in the roster"
like "$out" "hearing pybot" "the probe's audio from the room is attributed to pybot"
like "$out" "sent 6.0 s" "the probe published 6 s"

wait "$peer_pid"
is "$?" 0 "the Python participant heard the probe and saw it leave"
heard=$(sed -n 's/^peer: heard \([0-9.]*\) Hz.*/\1/p' "$T/peer.out")
if [ -n "$heard" ] && within "$heard" 440 10; then
	ok "the Python participant hears 440 Hz from the probe ($heard Hz)"
else
	not_ok "the Python participant hears 440 Hz from the probe"
	sed 's/^/# /' "$T/peer.out"
fi

# shellcheck disable=SC2046
set -- $("$LK_PY" "$PEER" wavfreq "$T/heard.wav")
f=${1:-}
rms=${2:-0}
if [ -n "$f" ] && within "$f" 1000 10 && [ "${rms%.*}" -gt 1000 ]; then
	ok "the probe's recording holds the Python side's 1000 Hz ($f Hz, rms $rms)"
else
	not_ok "the probe's recording holds the Python side's 1000 Hz"
	diag "got ${f:-nothing} Hz, rms ${rms:-?}"
fi

# SIP DTMF over the data channels, in order, with codes and the sender's identity.
got=$(sed -n 's/^peer: dtmf \(.\) code \([0-9]*\) from \(.*\)$/\1=\2@\3/p' "$T/peer.out" | tr '\n' ' ')
is "$got" "1=1@probe 2=2@probe #=11@probe 9=9@probe " "the Python side received the probe's DTMF 12#9"
got=$(sed -n 's/^dtmf from \(.*\): \(.\)$/\2@\1/p' "$T/probe.out" | tr '\n' ' ')
is "$got" "5@pybot *@pybot #@pybot " "the probe received the Python side's DTMF 5*#"
check "both data channels opened" sh -c "grep -q 'data channel _reliable open' '$T/probe.err' &&
    grep -q 'data channel _lossy open' '$T/probe.err'"

# The server saw a leave request, not a dropped connection.
check "the server logged the probe's leave request" \
    grep -q '"participant": "probe".*"reason": "CLIENT_REQUEST_LEAVE"' "$T/livekit.log"
check "the probe used /rtc/v1" grep -q 'signalling connected on /rtc/v1' "$T/probe.err"

# A bad token is refused with the server's reason and a non-zero exit.
probe --url "$LK_URL" --token not-a-jwt --seconds 1 >/dev/null 2>"$T/bad.err"
rc=$?
is "$rc" 1 "a bad token: exit 1"
like "$(cat "$T/bad.err")" "validate: HTTP 401" "a bad token: the server's 401 is reported"
# Two participants in one probe process, each on its own thread and GMainContext (as the
# daemon runs its calls): they must hear and DTMF each other.
room2=two-$$
probe --url "$LK_URL" --token "$(lk_token "$room2" alpha)" --token "$(lk_token "$room2" beta)" \
    --tone 440 --seconds 4 --dtmf 7 --record "$T/two.wav" >"$T/two.out" 2>"$T/two.err"
is "$?" 0 "two sessions in one process: exit 0"
out=$(sort "$T/two.out" | tr '\n' ' ')
like "$out" "\\[1\\] dtmf from beta: 7 .*\\[1\\] hearing beta .*\\[2\\] dtmf from alpha: 7 .*\\[2\\] hearing alpha " \
    "two sessions in one process hear each other and get each other's DTMF"
# shellcheck disable=SC2046
set -- $("$LK_PY" "$PEER" wavfreq "$T/two.wav")
if [ -n "${1:-}" ] && within "$1" 440 10; then
	ok "the first session recorded the second one's 440 Hz ($1 Hz)"
else
	not_ok "the first session recorded the second one's 440 Hz"
	diag "got ${1:-nothing}"
fi
# The signalling connection drops (a relay cuts it 3 s in) while media flows: both
# sessions resume on /rtc/v1 and keep hearing each other; their leaves use the new sockets.
room3=resume-$$
relay=$(lk_free_port)
"$LK_PY" "$PEER" proxy "$relay" "$LK_PORT" --cut-after 3 >"$T/relay.out" 2>&1 &
relay_pid=$!
wait_until 10 grep -q 'proxy: listening' "$T/relay.out"
probe --url "ws://127.0.0.1:$relay" --token "$(lk_token "$room3" gamma)" \
    --token "$(lk_token "$room3" delta)" --seconds 8 -v >"$T/resume.out" 2>"$T/resume.err"
is "$?" 0 "through a relay that cuts the signalling: exit 0"
kill "$relay_pid" 2>/dev/null
check "the relay did cut the connections" grep -q 'proxy: cut [1-9]' "$T/relay.out"
is "$(grep -c 'livekit: session resumed' "$T/resume.err")" 2 "both sessions resumed"
heard=$(sed -n 's/^\[1\] sent 8.0 s, heard \([0-9.]*\) s.*/\1/p' "$T/resume.out")
if [ -n "$heard" ] && awk -v h="$heard" 'BEGIN { exit !(h >= 7.0) }'; then
	ok "media went on across the resume ($heard s of 8 heard)"
else
	not_ok "media went on across the resume"
	sed 's/^/# /' "$T/resume.out"
fi
is "$(grep -c 'client leaving room.*"participant": "\(gamma\|delta\)".*"reason": "CLIENT_REQUEST_LEAVE"' "$T/livekit.log")" 2 \
    "both leaves reached the server after the resume"
# An old server (a relay answers 404 to /rtc/v1): the probe falls back to /rtc, where it
# publishes (the Python side hears 440 Hz) though it cannot receive.
room4=v0-$$
relay=$(lk_free_port)
"$LK_PY" "$PEER" proxy "$relay" "$LK_PORT" --cut-after 1000 --no-v1 >"$T/relay0.out" 2>&1 &
relay_pid=$!
wait_until 10 grep -q 'proxy: listening' "$T/relay0.out"
"$LK_PY" "$PEER" peer "$LK_URL" "$(lk_token "$room4" pyv0)" --tone 1000 --from probe \
    --timeout 40 >"$T/peer0.out" 2>&1 &
peer_pid=$!
wait_until 20 grep -q 'peer: publishing' "$T/peer0.out"
probe --url "ws://127.0.0.1:$relay" --token "$(lk_token "$room4" probe)" --seconds 5 \
    --no-data -v >"$T/v0.out" 2>"$T/v0.err"
is "$?" 0 "behind a server without /rtc/v1: exit 0"
kill "$relay_pid" 2>/dev/null
check "the probe fell back to /rtc" grep -q 'signalling connected on /rtc$' "$T/v0.err"
wait "$peer_pid"
heard=$(sed -n 's/^peer: heard \([0-9.]*\) Hz.*/\1/p' "$T/peer0.out")
if [ -n "$heard" ] && within "$heard" 440 10; then
	ok "on /rtc the Python participant hears the probe's 440 Hz ($heard Hz)"
else
	not_ok "on /rtc the Python participant hears the probe's 440 Hz"
	sed 's/^/# /' "$T/peer0.out"
fi
done_testing
