#!/usr/bin/env bash
# run-originate.sh: click-to-call benchmark (`make bench-originate`). The daemon, a local
# livekit-server and sipp as the carrier at 127.0.0.3, all on this machine.
# (1) command -> INVITE: `originate` at each of RATES per second for STEP_S seconds (unique
#     numbers), spoken on the admin socket by bench/originate_bench.py itself (no process
#     per command), the carrier answering every INVITE with 486; the INVITE's time is the
#     kernel's timestamp of the datagram on lo (an AF_PACKET capture: needs root).
# (2) INVITE -> audio in the room: CALLS sequential calls, the carrier answering 200 (after
#     ANSWER_MS ms, each value of AUDIO_ANSWER_MS in turn) and streaming a 1000 Hz tone;
#     the user joins with the returned token (LiveKit's Python SDK; publishing a silent
#     microphone track unless PUBLISH=0), the first 20 ms with the tone is timed, the user
#     stays STAY_S seconds more and leaves. All clocks are this machine's CLOCK_REALTIME.
set -euo pipefail
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${TOP_BUILDDIR:-$top}
rates=${RATES:-"10 50 100"}
step=${STEP_S:-10}
calls=${CALLS:-20}
answer_ms=${AUDIO_ANSWER_MS-"0 2000"}	# empty: no INVITE -> audio part
stay=${STAY_S:-3.5}
# NICE=-10, or RT=1 (SCHED_FIFO 10): the daemon, sipp, the capture and the driver ahead of
# the machine's other work, to see the daemon's own latency on a busy shared machine
nice=${NICE:-0}
prio="nice -n $nice"
[ -n "${RT:-}" ] && prio="chrt -f 10" nice="SCHED_FIFO 10"
lksrv=${LIVEKIT_SERVER:-$(command -v livekit-server || echo "$HOME/go/bin/livekit-server")}
py=${SCAIDIAL_TEST_HOME:-$HOME/.cache/scaidial-test}/venv/bin/python3
drv=$top/bench/originate_bench.py
[ "$(id -u)" = 0 ] || { echo "run-originate.sh: the capture on lo needs root" >&2; exit 1; }
for need in sipp sox; do command -v $need >/dev/null || { echo "$need is missing" >&2; exit 1; }; done
[ -x "$lksrv" ] && "$py" -c 'import livekit.rtc, numpy' 2>/dev/null ||
	{ echo "livekit-server and the venv's LiveKit SDK are needed (contrib/dev/deps.sh test)" >&2; exit 1; }

work=$(mktemp -d /tmp/scaidial-bench-orig.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
ports=($(python3 - <<'PY'
import random, socket
held, got = [], []
while len(got) < 7:		# free for both UDP and TCP (livekit-server binds both)
    p = random.randint(20000, 46999)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        u.bind(("", p)); t.bind(("", p))
    except OSError:
        u.close(); t.close()
        continue
    held += [u, t]
    got.append(p)
print(" ".join(map(str, got)))
PY
))
sip=${ports[0]} lk=${ports[1]} lktcp=${ports[2]} lkudp=${ports[3]} busy=${ports[4]} tone=${ports[5]} mp=${ports[6]}
# our RTP ports: a range no test uses, so the capture can tell our media from theirs
rtp_lo=47000 rtp_hi=47999

cat >livekit.yaml <<EOF
port: $lk
bind_addresses: ["127.0.0.1"]
development: true
keys: {devkey: "scaidial-bench-originate-secret-0123456789"}
logging: {level: warn}
rtc: {tcp_port: $lktcp, udp_port: $lkudp, node_ip: 127.0.0.1, use_external_ip: false, enable_loopback_candidate: true}
EOF
"$lksrv" --config livekit.yaml >livekit.log 2>&1 &
pids+=($!)
mkdir -p etc state spool
cat >etc/scaidial.conf <<EOF
general: { sip_listen = [ "udp:127.0.0.1:$sip" ]; database = "$work/state/scaidial.db";
  spool_dir = "$work/spool"; control_socket = "$work/ctl.sock"; log_level = "info";
  rtp_ports = [ $rtp_lo, $rtp_hi ]; };
livekit: { url = "ws://127.0.0.1:$lk"; api_key = "devkey";
  api_secret = "scaidial-bench-originate-secret-0123456789"; };
# wave_ring is required by wave extensions, never called by originate: nothing listens
webhooks: { secret = "bench"; wave_ring = "http://127.0.0.1:$lkudp/ring"; };
tenants = ( { id = "acme"; name = "Acme"; policy = { outbound_allow = [ "+1555888*" ]; }; } );
trunks = ( { id = "busy"; tenant = "acme"; mode = "peer"; address = "sip:127.0.0.3:$busy";
    allowed_addresses = [ "127.0.0.3/32" ]; codecs = [ "PCMU" ]; },
  { id = "tone"; tenant = "acme"; mode = "peer"; address = "sip:127.0.0.3:$tone";
    allowed_addresses = [ "127.0.0.3/32" ]; codecs = [ "PCMU" ]; } );
dids = ( { number = "+15551230001"; trunk = "busy"; dialplan = "hang"; } );
extensions = ( { id = "1001"; tenant = "acme"; type = "wave"; user = "alice@acme"; } );
dialplans = ( { id = "hang"; tenant = "acme"; rules = ( { priority = 10; action = "hangup"; } ); } );
EOF
lk_up=
for _ in $(seq 100); do
	python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$lk/', timeout=1)" 2>/dev/null &&
	    { lk_up=1; break; }
	sleep 0.2
done
[ -n "$lk_up" ] || { echo "livekit-server did not start:" >&2; cat livekit.log >&2; exit 1; }
$prio "$build/scaidial" -f -c etc/scaidial.conf 2>daemon.log &
dpid=$!
pids+=($dpid)
for _ in $(seq 100); do "$build/scaidial-ctl" -s ctl.sock status >/dev/null 2>&1 && break; sleep 0.05; done
kill -0 $dpid 2>/dev/null || { cat daemon.log; exit 1; }
cap_start() {	# cap_start FILE: the capture of our SIP and RTP, in the background
	$prio "$py" "$drv" capture "$1" "$busy,$tone" $rtp_lo $rtp_hi &
	cap=$!
	pids+=($cap)
	for _ in $(seq 50); do grep -q ready "$1" 2>/dev/null && break; sleep 0.1; done
}
cap_stop() { kill -TERM "$cap"; wait "$cap" || true; }
cap_start capture-rate.txt
$prio sipp -sf "$top/bench/sipp/uas-486.xml" -i 127.0.0.3 -p "$busy" -mp "$mp" </dev/null \
    >sipp-busy.out 2>&1 &
sipp_busy=$!
pids+=($sipp_busy)
sleep 0.3

echo "== command -> INVITE ($(nproc) cores, $(uname -r), $step s per rate, carrier answers 486, nice $nice)"
fd0=$(ls /proc/$dpid/fd | wc -l)
first=0
files=()
for r in $rates; do
	$prio "$py" "$drv" rate ctl.sock "$dpid" busy "$r" "$step" "$first" "rate-$r.jsonl"
	files+=("rate-$r.jsonl")
	first=$((first + ${r%.*} * step))
	sleep 2		# the last calls end, the rooms go
done
sleep 3
cap_stop
echo "daemon's open files: $fd0 before, $(ls /proc/$dpid/fd | wc -l) 5 s after the last request"
"$py" "$drv" latency capture-rate.txt "$busy" "${files[@]}"
kill "$sipp_busy" 2>/dev/null || true

sox -n -r 8000 -c 1 -e u-law tone.wav synth 25 sine 1000
for a in $answer_ms; do
	sed -e "s|@TONE@|$work/tone.wav|g; s/@ANSWER_MS@/$a/g" "$top/bench/sipp/uas-tone.xml" >uas-tone-$a.xml
	$prio sipp -sf uas-tone-$a.xml -i 127.0.0.3 -p "$tone" -mp "$mp" </dev/null >sipp-tone-$a.out 2>&1 &
	sp=$!
	pids+=($sp)
	sleep 0.3
	cap_start capture-$a.txt
	echo "== INVITE -> tone at the SDK participant: $calls sequential calls, carrier answers 200 after $a ms"
	$prio "$py" "$drv" audio ctl.sock tone "$calls" "$first" "$stay" "audio-$a.jsonl" 2>audio-$a.err
	first=$((first + calls))
	sleep 2
	cap_stop
	"$py" "$drv" audio-report "audio-$a.jsonl" capture-$a.txt "$tone" $rtp_lo $rtp_hi daemon.log
	kill "$sp" 2>/dev/null || true
	sleep 0.5
done
echo "== daemon: $(grep -E 'VmHWM' /proc/$dpid/status | tr -s ' \t' ' '), warnings/errors in its log: $(grep -cE 'Z (warn|error) ' daemon.log || true)"
grep -E 'Z (warn|error) ' daemon.log | sed -E 's/call [0-9a-f-]+/call ID/g; s/^[^ ]+ //' | sort | uniq -c | sort -rn | head -n 5
