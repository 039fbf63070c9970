#!/usr/bin/env bash
# run-sip.sh: call set-up benchmark (`make bench-sip`). sipp, as the carrier, calls a DID
# whose rule is `hangup` (answered 603 at once): (1) at rising rates for STEP_S seconds
# each, counting failed calls, to find the highest rate with under 0.1 % failures; (2) at
# 100 calls/s for 20 s, timing every INVITE -> final answer (sipp's rtd) for p50/p99.
set -euo pipefail
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${TOP_BUILDDIR:-$top}
rates=${RATES:-"100 200 400 600 800 1000 1200 1500"}
step=${STEP_S:-10}
work=$(mktemp -d /tmp/scaidial-bench-sip.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p etc state spool
cat >etc/scaidial.conf <<CONF
general: { sip_listen = [ "udp:127.0.0.1:$port" ]; database = "$work/state/scaidial.db";
  spool_dir = "$work/spool"; control_socket = "$work/ctl.sock"; log_level = "warn"; };
tenants = ( { id = "acme"; name = "Acme"; } );
trunks = ( { id = "carrier"; tenant = "acme"; mode = "peer"; address = "sip:127.0.0.3:5060";
  allowed_addresses = [ "127.0.0.3/32" ]; } );
dids = ( { number = "+15551230001"; trunk = "carrier"; dialplan = "main"; } );
dialplans = ( { id = "main"; tenant = "acme";
  rules = ( { priority = 10; action = "hangup"; status = 603; } ); } );
CONF
"$build/scaidial" -f -c etc/scaidial.conf 2>daemon.log &
pid=$!
for _ in $(seq 100); do "$build/scaidial-ctl" -s ctl.sock status >/dev/null 2>&1 && break; sleep 0.05; done

sippit() {	# sippit RATE CALLS EXTRA...: one sipp run; prints "ok failed"
	local rate=$1 calls=$2
	shift 2
	rm -f stat.csv
	sipp 127.0.0.1:"$port" -i 127.0.0.3 -sf "$top/bench/sipp/uac-rtd.xml" -s +15551230001 \
	    -set from +15557770000 -r "$rate" -m "$calls" -l 5000 -timeout $((step * 3 + 30)) \
	    -trace_stat -stf stat.csv -fd 1 "$@" >/dev/null 2>&1 || true
	tail -n 1 stat.csv | python3 -c '
import sys
row = sys.stdin.read().strip().split(";")
hdr = open("stat.csv").readline().strip().split(";")
get = lambda k: int(row[hdr.index(k)])
print(get("SuccessfulCall(C)"), get("FailedCall(C)"))'
}

echo "== set-up rate against a hangup rule ($(nproc) cores, $(uname -r), ${step} s per step)"
printf '%-8s %-10s %-8s %-9s %s\n' rate calls ok failed "daemon CPU %"
best=0
for r in $rates; do
	calls=$((r * step))
	t0=$(awk '{print $14+$15}' /proc/$pid/stat)
	res=$(sippit "$r" "$calls")
	t1=$(awk '{print $14+$15}' /proc/$pid/stat)
	set -- $res
	cpu=$(( (t1 - t0) * 100 / $(getconf CLK_TCK) / step ))
	printf '%-8s %-10s %-8s %-9s %s\n' "$r" "$calls" "$1" "$2" "$cpu"
	if [ $(( $2 * 1000 )) -lt "$calls" ] && [ "$1" -ge $((calls - calls / 1000)) ]; then best=$r; else break; fi
done
echo "highest rate with < 0.1 % failed calls: $best calls/s"

echo "== INVITE -> final answer at 100 calls/s, 20 s"
sippit 100 2000 -trace_rtt -rtt_freq 1 >/dev/null
cat ./*_rtt.csv | python3 -c '
import sys
v = sorted(float(l.split(";")[2]) for l in sys.stdin if l[0].isdigit())
q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
print("calls %d  p50 %.1f ms  p99 %.1f ms  max %.1f ms" % (len(v), q(0.5), q(0.99), v[-1]))'
echo "== the same, timed to the microsecond from a Python client (sipp counts whole ms)"
python3 - "$port" "$top" <<'PY'
import socket, sys, time
sys.path.insert(0, sys.argv[2] + "/tests/integration")
import sip_probe
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.3", 0))
s.settimeout(2)
to = "127.0.0.1:%d" % port
lat = []
start = time.perf_counter()
for i in range(2000):
    req = sip_probe.request("INVITE", "+15551230001", to, "127.0.0.3", False)
    req = req.replace(b":5099", b":%d" % s.getsockname()[1])
    t0 = time.perf_counter()
    s.sendto(req, ("127.0.0.1", port))
    while True:
        resp = s.recv(65535)
        if not resp.startswith(b"SIP/2.0 1"):
            break
    lat.append((time.perf_counter() - t0) * 1000)
    head = resp.split(b"\r\n\r\n")[0].split(b"\r\n")
    hv = {l.split(b":")[0].lower(): l for l in head[1:]}
    ack = b"\r\n".join([b"ACK sip:+15551230001@" + to.encode() + b" SIP/2.0", hv[b"via"],
        hv[b"from"], hv[b"to"], hv[b"call-id"], b"CSeq: 1 ACK", b"Max-Forwards: 70",
        b"Content-Length: 0", b"", b""])
    s.sendto(ack, ("127.0.0.1", port))
    time.sleep(max(0, start + (i + 1) * 0.01 - time.perf_counter()))  # 100 calls/s
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print("calls %d  p50 %.3f ms  p99 %.3f ms  max %.3f ms" % (len(lat), q(0.5), q(0.99), lat[-1]))
PY
echo "== daemon: $(grep -E 'VmHWM' /proc/$pid/status | tr -s ' \t' ' ')"
"$build/scaidial-ctl" -s ctl.sock cdr --limit 1 >/dev/null
