#!/usr/bin/env bash
# run-voicemail.sh: concurrent voicemail calls end to end (`make bench-voicemail`). sipp, as
# the carrier, places CALLS calls at RATE calls/s into a DID whose rule is voicemail; each
# streams a 1000 Hz tone as PCMU RTP until scaidial hangs up at voicemail_max_seconds. While
# all calls are up, the daemon's CPU and RSS are sampled; afterwards every recording is
# checked by its frequency and length.
set -euo pipefail
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${TOP_BUILDDIR:-$top}
calls=${CALLS:-500}
rate=${RATE:-50}
hold=${HOLD_S:-20}
work=$(mktemp -d /tmp/scaidial-bench-vm.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p etc state spool
sox -n -r 8000 -c 1 -e u-law tone.wav synth $((hold + 10)) sine 1000
sox -n -r 8000 -c 1 -b 16 greet.wav synth 0.2 sine 440
cat >etc/scaidial.conf <<CONF
general: { sip_listen = [ "udp:127.0.0.1:$port" ]; database = "$work/state/scaidial.db";
  spool_dir = "$work/spool"; control_socket = "$work/ctl.sock"; log_level = "warn";
  rtp_ports = [ 20000, 29999 ]; voicemail_greeting = "$work/greet.wav";
  voicemail_max_seconds = $hold; voicemail_silence_seconds = 0; };
tenants = ( { id = "acme"; name = "Acme"; } );
trunks = ( { id = "carrier"; tenant = "acme"; mode = "peer"; address = "sip:127.0.0.3:5060";
  allowed_addresses = [ "127.0.0.3/32" ]; codecs = [ "PCMU" ]; } );
dids = ( { number = "+15551230001"; trunk = "carrier"; dialplan = "vm"; } );
extensions = ( { id = "3001"; tenant = "acme"; type = "sip"; username = "3001"; password = "x";
  voicemail = true; } );
dialplans = ( { id = "vm"; tenant = "acme";
  rules = ( { priority = 10; action = "voicemail"; extension = "3001"; } ); } );
CONF
ulimit -n 65536 2>/dev/null || true
"$build/scaidial" -f -c etc/scaidial.conf 2>daemon.log &
pid=$!
for _ in $(seq 100); do "$build/scaidial-ctl" -s ctl.sock status >/dev/null 2>&1 && break; sleep 0.05; done
rss0=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
sed -e "s/@PT@/0/g; s/@CODEC@/PCMU/g; s|@TONE@|$work/tone.wav|g" \
    "$top/tests/integration/sipp/uac_voicemail_wait.xml" >vm.xml
sipp 127.0.0.1:"$port" -i 127.0.0.3 -sf vm.xml -s +15551230001 -set from +15557770000 \
    -r "$rate" -l "$calls" -m "$calls" -timeout $((hold * 3 + calls / rate + 60)) \
    -trace_stat -stf stat.csv -fd 1 -bg >/dev/null 2>&1 || true
ramp=$((calls / rate + 2))
sleep "$ramp"
active=$("$build/scaidial-ctl" -s ctl.sock metrics | awk '/^scaidial_media_sessions_active / {print $2}')
t0=$(awk '{print $14+$15}' /proc/$pid/stat); s0=$(date +%s.%N)
sleep 5
t1=$(awk '{print $14+$15}' /proc/$pid/stat); s1=$(date +%s.%N)
rss1=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
echo "== $calls voicemail calls at $rate calls/s, ${hold} s messages ($(nproc) cores, $(uname -r))"
echo "media sessions active while measured: $active"
python3 -c "
import sys
t0,t1,s0,s1,clk,n=$t0,$t1,$s0,$s1,$(getconf CLK_TCK),$active
cpu=(t1-t0)/clk/(s1-s0)*100
print('daemon CPU: %.1f %% of one core, %.3f %% per call' % (cpu, cpu/max(n,1)))
print('daemon RSS: %d KiB more than idle, %.1f KiB per call' % ($rss1-$rss0, ($rss1-$rss0)/max(n,1)))"
# Wait for every call to end, then check every message.
for _ in $(seq $((hold * 3 + 60))); do
	left=$("$build/scaidial-ctl" -s ctl.sock --json calls | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
	[ "$left" = 0 ] && break
	sleep 1
done
python3 - "$work/spool" "$top/tests/integration/wavfreq.py" "$hold" "$calls" <<'PY'
import glob, subprocess, sys
files = sorted(glob.glob(sys.argv[1] + "/voicemail/*/*/*.wav"))
want = int(sys.argv[3]) * 1000
good = 0
for f in files:
    hz, ms = map(int, subprocess.check_output([sys.executable, sys.argv[2], f]).split())
    if abs(hz - 1000) <= 20 and ms >= want * 0.95:
        good += 1
print("recordings intact (1000 Hz +-20, >= 95 %% of %d ms): %d of %d calls (%d files)" % (want, good, int(sys.argv[4]), len(files)))
PY
