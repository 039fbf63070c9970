#!/usr/bin/env bash
# run-relay.sh: concurrent forward-by-bridge calls with media relayed (`make bench-relay`).
# sipp on 127.0.0.3, as the carrier, places CALLS calls at RATE calls/s into a DID whose
# rule forwards by bridge; scaidial calls the target, a second sipp on 127.0.0.4 that
# answers and streams a 600 Hz tone, while the caller streams 1000 Hz; both G.711 (PCMU).
# Each call is held HOLD_S seconds, then the caller hangs up. While all calls are up the
# daemon's CPU and RSS are sampled; afterwards the legs recorded and the frames the relay
# carried (from the daemon's log at stop) are compared with what the calls should give.
set -euo pipefail
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${TOP_BUILDDIR:-$top}
calls=${CALLS:-1000}
rate=${RATE:-50}
hold=${HOLD_S:-30}
work=$(mktemp -d /tmp/scaidial-bench-relay.XXXXXX)
pid= tpid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; [ -n "$tpid" ] && kill $tpid 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
freeport() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(freeport)
tport=$(freeport)
mkdir -p etc state spool
sox -n -r 8000 -c 1 -e u-law tone-1000.wav synth 10 sine 1000
sox -n -r 8000 -c 1 -e u-law tone-600.wav synth 10 sine 600
cat >etc/scaidial.conf <<CONF
general: { sip_listen = [ "udp:127.0.0.1:$port" ]; database = "$work/state/scaidial.db";
  spool_dir = "$work/spool"; control_socket = "$work/ctl.sock"; log_level = "info";
  rtp_ports = [ 20000, 29999 ]; };
tenants = ( { id = "acme"; name = "Acme"; policy = { outbound_allow = [ "+1*" ]; }; } );
trunks = ( { id = "carrier"; tenant = "acme"; mode = "peer"; address = "sip:127.0.0.4:$tport";
  allowed_addresses = [ "127.0.0.3/32" ]; codecs = [ "PCMU" ]; } );
dids = ( { number = "+15551230001"; trunk = "carrier"; dialplan = "fwd"; } );
dialplans = ( { id = "fwd"; tenant = "acme";
  rules = ( { priority = 10; action = "forward"; target = "+15557654321"; method = "bridge"; } ); } );
CONF
ulimit -n 65536 2>/dev/null || true
"$build/scaidial" -f -c etc/scaidial.conf 2>daemon.log &
pid=$!
for _ in $(seq 100); do "$build/scaidial-ctl" -s ctl.sock status >/dev/null 2>&1 && break; sleep 0.05; done
rss0=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
sed -e "s|@TONE@|$work/tone-600.wav|g" "$top/bench/sipp/uas-relay.xml" >uas.xml
# -aa: the trunk's OPTIONS keepalives are answered, not taken for calls.
sipp -aa -i 127.0.0.4 -p "$tport" -mp 40000 -sf uas.xml -timeout $((hold * 2 + calls / rate + 60)) \
    -bg >/dev/null 2>&1 &
sleep 1
tpid=$(pgrep -n -f "sipp -aa -i 127.0.0.4 -p $tport" || true)
sed -e "s|@TONE@|$work/tone-1000.wav|g; s/@HOLD@/$((hold * 1000))/" \
    "$top/bench/sipp/uac-relay.xml" >uac.xml
sipp 127.0.0.1:"$port" -i 127.0.0.3 -mp 50000 -sf uac.xml -s +15551230001 -set from +15557770000 \
    -r "$rate" -l "$calls" -m "$calls" -timeout $((hold * 2 + calls / rate + 60)) \
    -trace_stat -stf stat.csv -fd 1 -bg >/dev/null 2>&1 || true
ramp=$((calls / rate + 3))
sleep "$ramp"
active=$("$build/scaidial-ctl" -s ctl.sock metrics | awk '/^scaidial_media_sessions_active / {print $2}')
t0=$(awk '{print $14+$15}' /proc/$pid/stat); s0=$(date +%s.%N)
sleep 5
t1=$(awk '{print $14+$15}' /proc/$pid/stat); s1=$(date +%s.%N)
rss1=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
echo "== $calls bridged forward calls (PCMU <-> PCMU) at $rate calls/s, held ${hold} s ($(nproc) cores, $(uname -r))"
echo "media sessions active while measured: $active (two per call)"
python3 -c "
t0,t1,s0,s1,clk,n=$t0,$t1,$s0,$s1,$(getconf CLK_TCK),max($active // 2, 1)
cpu=(t1-t0)/clk/(s1-s0)*100
print('daemon CPU: %.1f %% of one core, %.3f %% per relayed call' % (cpu, cpu/n))
print('daemon RSS: %d KiB more than idle, %.1f KiB per relayed call' % ($rss1-$rss0, ($rss1-$rss0)/n))"
for _ in $(seq $((hold * 2 + 60))); do
	left=$("$build/scaidial-ctl" -s ctl.sock --json calls | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
	[ "$left" = 0 ] && break
	sleep 1
done
kill -TERM $pid; wait $pid || true; pid=
python3 - "$work" "$calls" "$hold" <<'PY'
import re, sqlite3, sys
work, calls, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
db = sqlite3.connect(work + "/state/scaidial.db")
fw = db.execute("select count(*) from call_legs where kind = 'forward' and answered_ms is not null "
    "and cause = 'caller_bye' and ended_ms - answered_ms >= ?", ((hold - 1) * 1000,)).fetchone()[0]
print("forward legs answered, held >= %d s and ended by the caller's BYE: %d of %d" % (hold - 1, fw, calls))
causes = db.execute("select c.cause || '/' || ifnull(c.sip_status, 0) || ' fwd ' || "
    "ifnull(f.cause, '-') || '/' || ifnull(f.sip_status, 0), count(*) from calls c left join "
    "call_legs f on f.call_id = c.id and f.kind = 'forward' group by 1 order by 2 desc").fetchall()
print("calls by end (call cause/status, forward leg cause/status): " +
      ", ".join("%s: %d" % r for r in causes))
print("calls that never reached scaidial (sipp's retransmissions gave up): %d" %
      (calls - db.execute("select count(*) from calls").fetchone()[0]))
log = open(work + "/daemon.log").read()
m = re.search(r"relay: (\d+) frames carried since start, (\d+) dropped by full rings, (\d+) ticks", log)
frames, dropped, underrun = map(int, m.groups()) if m else (0, 0, 0)
want = calls * 2 * 50 * hold
print("frames relayed: %d of %d expected (%d calls x 2 ways x 50/s x %d s): %.1f %%" %
      (frames, want, calls, hold, 100.0 * frames / want))
print("frames dropped because the relay fell behind (ring full): %d; worker ticks with nothing "
      "relayed to send: %d" % (dropped, underrun))
PY
