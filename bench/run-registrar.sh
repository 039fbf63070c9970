#!/usr/bin/env bash
# run-registrar.sh: desk phones registering. USERS sip extensions in the configuration;
# sipp registers one of them (REGISTER, 401, REGISTER with digest, 200: sipp puts one
# user's credentials in [authentication]) COUNT times at RATE/s, each with a fresh Call-ID,
# from an address a trunk allows (so sip_guard's per-source budget, meant for strangers,
# does not throttle the benchmark). Prints the registrations that succeeded, the daemon's
# CPU time per registration and its RSS.
set -euo pipefail
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${TOP_BUILDDIR:-$top}
users=${USERS:-1000}
count=${COUNT:-5000}
rate=${RATE:-500}
work=$(mktemp -d /tmp/scaidial-bench-reg.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$work"
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p etc state spool
{
	cat <<CONF
general: { sip_listen = [ "udp:127.0.0.1:$port" ]; database = "$work/state/scaidial.db";
  spool_dir = "$work/spool"; control_socket = "$work/ctl.sock"; log_level = "${LOGLEVEL:-warn}"; };
tenants = ( { id = "acme"; name = "Acme"; } );
trunks = ( { id = "carrier"; tenant = "acme"; mode = "peer"; address = "sip:127.0.0.3:5060";
  allowed_addresses = [ "127.0.0.3/32" ]; } );
CONF
	echo "extensions = ("
	for i in $(seq 1 "$users"); do
		printf '  { id = "%d"; tenant = "acme"; type = "sip"; username = "u%d"; password = "p%d"; }%s\n' \
		    "$i" "$i" "$i" "$([ "$i" -lt "$users" ] && echo ,)"
	done
	echo ");"
} >etc/scaidial.conf
printf 'SEQUENTIAL\nu%d;p%d\n' "$users" "$users" >users.csv
"$build/scaidial" -f -c etc/scaidial.conf 2>daemon.log &
pid=$!
for _ in $(seq 100); do "$build/scaidial-ctl" -s ctl.sock status >/dev/null 2>&1 && break; sleep 0.1; done
cpu() { awk '{print $14 + $15}' /proc/$pid/stat; }
rss() { awk '/VmRSS/ {print $2}' /proc/$pid/status; }
run() {
	sipp 127.0.0.1:"$port" -i 127.0.0.3 -p "$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.3",0)); print(s.getsockname()[1])')" \
	    -sf "$top/bench/sipp/register_auth.xml" -inf users.csv -au "u$users" -ap "p$users" \
	    -r "$rate" -m "$count" -timeout 120 >sipp.out 2>&1 || true
}
rss0=$(rss)
c0=$(cpu)
t0=$(date +%s.%N)
run
t1=$(date +%s.%N)
c1=$(cpu)
rss1=$(rss)
ok=$(grep -a "Successful call" sipp.out | tail -n 1 | awk -F'|' '{gsub(/ /, "", $3); print $3}')
failed=$(grep -a "Failed call" sipp.out | tail -n 1 | awk -F'|' '{gsub(/ /, "", $3); print $3}')
tck=$(getconf CLK_TCK)
listed=$("$build/scaidial-ctl" -s ctl.sock --json registrations | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
# sofia-sip keeps each answered transaction for 32 s (RFC 3261 Timer J): memory is
# measured again once those are gone, and after a second run that reuses it.
sleep "${SETTLE_S:-35}"
rss2=$(rss)
run
sleep "${SETTLE_S:-35}"
rss=$(rss)
echo "daemon RSS: $rss0 KiB idle, $rss1 KiB after the run, $rss2 KiB 35 s later, $rss KiB after a second run (+35 s)"
python3 - "$ok" "$failed" "$c0" "$c1" "$tck" "$t0" "$t1" "$listed" "$rss" "$users" "$count" "$rate" <<'PY'
import sys
ok, failed, c0, c1, tck, t0, t1, listed, rss, users, count, rate = sys.argv[1:]
n = int(ok or 0)
cpu = (int(c1) - int(c0)) / int(tck)
secs = float(t1) - float(t0)
print("registrations: %s ok, %s failed (%s at %s/s, %s sip extensions configured) in %.1f s" % (ok, failed, count, rate, users, secs))
print("daemon CPU: %.2f s, %.0f us per registration (two REGISTERs, one digest check)" % (cpu, cpu / n * 1e6 if n else 0))
print("bindings listed: %s" % listed)
PY
