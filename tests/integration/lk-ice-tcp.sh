#!/bin/sh
# ICE-TCP fallback: in a network namespace of its own (unshare -rn: no root needed) where
# routing refuses every UDP datagram, livekit-server and two scaidial-lkprobe participants
# can only meet over TCP. The probe's libnice must pick the server's TCP passive
# candidate (its ICE pair and RTCP line say "tcp") and the two must hear each other's
# 440 Hz through the SFU.
if [ -z "${LK_ICE_TCP_NETNS:-}" ]; then
	if unshare -rn true 2>/dev/null; then
		LK_ICE_TCP_NETNS=1 exec unshare -rn sh "$0" "$@"
	fi
	LK_ICE_TCP_NETNS=none
fi
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/integration/lk-lib.sh"
tap_watchdog "$([ -n "${SCAIDIAL_WRAPPER:-}" ] && echo 300 || echo 120)"

if [ "$LK_ICE_TCP_NETNS" != 1 ]; then
	not_ok "a network namespace of our own (unshare -rn)"
	done_testing
fi
# The loopback up, and a rule ahead of the local table that blackholes UDP (the local
# table would deliver it otherwise): sendto() fails, TCP is untouched.
ip link set lo up &&
    ip rule add pref 10 ipproto udp blackhole && ip rule add pref 100 lookup local &&
    ip rule del pref 0 &&
    ip -6 rule add pref 10 ipproto udp blackhole && ip -6 rule add pref 100 lookup local &&
    ip -6 rule del pref 0
is "$?" 0 "in a namespace of our own, UDP is blackholed"
check "a UDP datagram to ourselves cannot be sent" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
try:
    s.sendto(b"x", s.getsockname())
except OSError:
    sys.exit(0)
sys.exit(1)'
check "TCP still connects" python3 -c '
import socket
t = socket.socket(); t.bind(("127.0.0.1", 0)); t.listen()
socket.create_connection(t.getsockname()).close()'

if ! lk_find_server || ! lk_find_python; then
	not_ok "livekit-server and the LiveKit Python SDKs' venv found (contrib/dev/deps.sh test)"
	done_testing
fi
if ! lk_start_server; then
	not_ok "livekit-server starts on 127.0.0.1:$LK_PORT"
	done_testing
fi
ok "livekit-server listens on 127.0.0.1:$LK_PORT (TCP media port $LK_TCP_PORT)"

room=tcp-$$
${SCAIDIAL_WRAPPER:-} "${SCAIDIAL_LKPROBE:-$TOP_BUILDDIR/scaidial-lkprobe}" --url "$LK_URL" \
    --token "$(lk_token "$room" alpha)" --token "$(lk_token "$room" beta)" --tone 440 \
    --seconds 6 --no-data --record "$T/tcp.wav" -v >"$T/tcp.out" 2>"$T/tcp.err"
rc=$?
is "$rc" 0 "two probe sessions over ICE-TCP: exit 0"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/tcp.err" | tail -n 30
grep 'ICE pair\|rtcp:' "$T/tcp.err" "$T/tcp.out" | sed 's/^/# /'
is "$(grep -c 'webrtc: ICE pair tcp 127.0.0.1:[0-9]* -> 127.0.0.1:'"$LK_TCP_PORT"'$' "$T/tcp.err")" 2 \
    "both sessions selected a TCP pair to the server's TCP port $LK_TCP_PORT"
is "$(grep -c 'webrtc: ICE pair udp' "$T/tcp.err")" 0 "no UDP pair was ever selected"
is "$(grep -c '^\[[12]\] rtcp: ice tcp, ' "$T/tcp.out")" 2 "both sessions report ice tcp"
heard=$(sed -n 's/^\[1\] sent 6.0 s, heard \([0-9.]*\) s.*/\1/p' "$T/tcp.out")
if [ -n "$heard" ] && awk -v h="$heard" 'BEGIN { exit !(h >= 5.0) }'; then
	ok "the first session heard the second for $heard s of 6"
else
	not_ok "the first session heard the second for most of 6 s (got '${heard:-nothing}')"
fi
# shellcheck disable=SC2046
set -- $("$LK_PY" "$TOP_SRCDIR/tests/integration/lk_peer.py" wavfreq "$T/tcp.wav")
if [ -n "${1:-}" ] && awk -v f="$1" 'BEGIN { exit !(f >= 430 && f <= 450) }' &&
    [ "${2%.*}" -gt 1000 ]; then
	ok "over TCP the first session recorded the second one's 440 Hz ($1 Hz, rms $2)"
else
	not_ok "over TCP the first session recorded the second one's 440 Hz (got ${1:-nothing})"
fi
done_testing
