#!/bin/sh
# RTCP on the LiveKit leg against a real livekit-server, with LiveKit's Python SDK
# (libwebrtc) subscribed to the probe: the server's answer keeps NACK for our Opus track;
# the SFU's reports are read (an RTT figure from our SR's LSR/DLSR); and with every 10th
# packet held back by the probe's test hook (--drop-every), the SFU's NACKs are answered
# from the send history, so the subscriber gets a clean 440 Hz with (almost) nothing lost.
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/integration/lk-lib.sh"
tap_watchdog "$([ -n "${SCAIDIAL_WRAPPER:-}" ] && echo 300 || echo 120)"

PROBE=${SCAIDIAL_LKPROBE:-$TOP_BUILDDIR/scaidial-lkprobe}
PEER=$TOP_SRCDIR/tests/integration/lk_peer.py

if ! lk_find_server || ! lk_find_python; then
	not_ok "livekit-server and the LiveKit Python SDKs' venv found (contrib/dev/deps.sh test)"
	done_testing
fi
if ! lk_start_server; then
	not_ok "livekit-server starts on 127.0.0.1:$LK_PORT"
	done_testing
fi
ok "livekit-server listens on 127.0.0.1:$LK_PORT"

# field NAME: the number after NAME on the probe's "rtcp:" line.
field() { sed -n "s/^rtcp: .*[ ,]$1 \\([0-9.]*\\).*/\\1/p" "$T/probe.out" | head -n 1; }
# cmp_num A OP B (awk, for decimals)
cmp_num() { awk -v a="$1" -v b="$3" "BEGIN { exit !(a $2 b) }"; }

room=rtcp-$$
"$LK_PY" "$PEER" peer "$LK_URL" "$(lk_token "$room" pybot)" --tone 1000 --from probe \
    --timeout 40 --stats >"$T/peer.out" 2>&1 &
peer_pid=$!
wait_until 20 grep -q 'peer: publishing' "$T/peer.out"
check "the Python participant joined" grep -q 'peer: publishing' "$T/peer.out"

${SCAIDIAL_WRAPPER:-} "$PROBE" --url "$LK_URL" --token "$(lk_token "$room" probe)" --tone 440 \
    --seconds 8 --no-data --drop-every 10 -v >"$T/probe.out" 2>"$T/probe.err"
rc=$?
is "$rc" 0 "scaidial-lkprobe --drop-every 10 exits 0"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/probe.err" | tail -n 30
sed 's/^/# /' "$T/probe.out" | grep 'rtcp:'
check "the server's answer keeps a=rtcp-fb:111 nack for our track" \
    grep -q 'the answer keeps NACK for our track' "$T/probe.err"
like "$(cat "$T/probe.out")" "^rtcp: ice udp, .*nack on:" "the probe reports its RTCP figures"

rtt=$(field rtt)
# Our own delay in reading the RR counts in the RTT: under valgrind it reaches 0.7 s.
rtt_max=$([ -n "${SCAIDIAL_WRAPPER:-}" ] && echo 3000 || echo 200)
if [ -n "$rtt" ] && cmp_num "$rtt" ">" 0 && cmp_num "$rtt" "<" "$rtt_max"; then
	ok "an RTT from the SFU's receiver report about our SR: $rtt ms"
else
	not_ok "an RTT from the SFU's receiver report about our SR (got '${rtt:-none}')"
fi
rr=$(sed -n 's/^rtcp: .* received sr [0-9]* rr \([0-9]*\),.*/\1/p' "$T/probe.out")
if [ -n "$rr" ] && [ "$rr" -ge 2 ]; then
	ok "the SFU's receiver reports were parsed ($rr)"
else
	not_ok "the SFU's receiver reports were parsed (got '${rr:-none}')"
fi
sent=$(field "reports sent")
if [ -n "$sent" ] && [ "$sent" -ge 3 ]; then
	ok "we sent our sender reports ($sent in 8 s)"
else
	not_ok "we sent our sender reports (got '${sent:-none}')"
fi

dropped=$(field test-dropped)
retx=$(field retransmitted)
if [ -n "$dropped" ] && [ "$dropped" -ge 35 ] && [ -n "$retx" ] &&
    [ "$retx" -ge $((dropped - 2)) ]; then
	ok "the SFU's NACKs were answered: $retx of $dropped held-back packets sent again"
else
	not_ok "the SFU's NACKs were answered (dropped '${dropped:-?}', retransmitted '${retx:-?}')"
fi
lost=$(sed -n 's/^rtcp: .*sfu lost \(-*[0-9]*\) .*/\1/p' "$T/probe.out")
if [ -n "$lost" ] && [ "$lost" -le 2 ]; then
	ok "the SFU's own report counts $lost of our packets lost"
else
	not_ok "the SFU's own report counts (almost) none of our packets lost (got '${lost:-none}')"
fi

wait "$peer_pid"
is "$?" 0 "the Python participant heard the probe and saw it leave"
sed 's/^/# /' "$T/peer.out" | grep 'peer: \(heard\|inbound\)'
heard=$(sed -n 's/^peer: heard \([0-9.]*\) Hz.*/\1/p' "$T/peer.out")
if [ -n "$heard" ] && cmp_num "$heard" ">=" 430 && cmp_num "$heard" "<=" 450; then
	ok "the subscriber hears the probe's 440 Hz ($heard Hz)"
else
	not_ok "the subscriber hears the probe's 440 Hz (got '${heard:-nothing}')"
fi
# libwebrtc's own count at the subscriber: every 10th packet lost for good would be ~40
# lost; only retransmissions the SFU forwarded can fill those gaps.
# shellcheck disable=SC2046
set -- $(sed -n 's/^peer: inbound ssrc [0-9]* packets \([0-9]*\) lost \(-*[0-9]*\) nacks [0-9]* concealed \([0-9]*\) of \([0-9]*\) samples/\1 \2 \3 \4/p' "$T/peer.out" | head -n 1)
conc1=${3:-}
total1=${4:-}
if [ $# -eq 4 ] && [ "$1" -ge 200 ] && [ "$2" -le 2 ]; then
	ok "the subscriber lost $2 of $1 packets (every 10th was held back by the probe)"
else
	not_ok "the subscriber lost (almost) no packets (got: $*)"
fi
# The control: the same held-back packets, NACKs not answered (--no-resend). The SFU and
# the subscriber must then see the loss, or the checks above prove nothing.
room=control-$$
"$LK_PY" "$PEER" peer "$LK_URL" "$(lk_token "$room" pybot)" --tone 1000 --from probe \
    --timeout 40 --stats >"$T/peer2.out" 2>&1 &
peer_pid=$!
wait_until 20 grep -q 'peer: publishing' "$T/peer2.out"
${SCAIDIAL_WRAPPER:-} "$PROBE" --url "$LK_URL" --token "$(lk_token "$room" probe)" --tone 440 \
    --seconds 8 --no-data --drop-every 10 --no-resend >"$T/probe2.out" 2>"$T/probe2.err"
is "$?" 0 "the control (--drop-every 10 --no-resend) exits 0"
wait "$peer_pid"
sed 's/^/# /' "$T/probe2.out" | grep 'rtcp:'
sed 's/^/# /' "$T/peer2.out" | grep 'peer: inbound'
like "$(cat "$T/probe2.out")" "nack on: [1-9][0-9]* nacks .* retransmitted 0 " \
    "the control: NACKs came and none was answered"
# shellcheck disable=SC2046
set -- $(sed -n 's/^peer: inbound ssrc [0-9]* packets \([0-9]*\) lost \(-*[0-9]*\) nacks [0-9]* concealed \([0-9]*\) of \([0-9]*\) samples/\1 \2 \3 \4/p' "$T/peer2.out" | head -n 1)
if [ $# -eq 4 ] && [ "$2" -ge 20 ]; then
	ok "the control: without retransmission the subscriber lost $2 of $(($1 + $2)) packets"
else
	not_ok "the control: without retransmission the subscriber loses packets (got: $*)"
fi
# What the listener hears: libwebrtc conceals less audio when the gaps were filled (FEC
# hides some single losses in the control too; measured 0.5-5.7 % against 10-11.5 %).
# Under valgrind the probe itself stutters (16 % against 18 %): shown, not checked.
if [ -n "${SCAIDIAL_WRAPPER:-}" ]; then
	diag "concealed with retransmission ${conc1:-?} of ${total1:-?}, without ${3:-?} of ${4:-?}"
elif [ $# -eq 4 ] && [ -n "$conc1" ] && [ "${total1:-0}" -gt 0 ] && [ "$4" -gt 0 ] &&
    awk -v a="$conc1" -v b="$total1" -v c="$3" -v d="$4" 'BEGIN { exit !(a / b < c / d) }'; then
	ok "less audio concealed with retransmission ($conc1 of $total1 samples) than without ($3 of $4)"
else
	not_ok "less audio concealed with retransmission (${conc1:-?} of ${total1:-?}) than without (${3:-?} of ${4:-?})"
fi
done_testing
