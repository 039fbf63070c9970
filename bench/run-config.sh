#!/usr/bin/env bash
# run-config.sh: the configuration benchmark (`make bench-config`). Generates a config with
# 10,000 DIDs, 1,000 dialplans and 1,000 extensions, times its reload, and measures the
# daemon's resident memory with it loaded against the small test configuration.
set -euo pipefail
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${TOP_BUILDDIR:-$top}
runs=${RUNS:-31}
work=$(mktemp -d /tmp/scaidial-bench.XXXXXX)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
pid=

python3 "$top/bench/gen-config.py" "$work/big"
mkdir -p "$work/big/state" "$work/big/spool"
echo "== reload time ($runs runs; $(nproc) cores, $(uname -r))"
"$build/bench/bench_config" "$work/big/scaidial.conf" "$runs"

rss() {	# rss DIR: the daemon's VmRSS/VmHWM in KiB once its socket answers
	"$build/scaidial" -f -c "$1/scaidial.conf" 2>"$1/log" &
	pid=$!
	for _ in $(seq 200); do
		"$build/scaidial-ctl" -s "$1/ctl.sock" status >/dev/null 2>&1 && break
		sleep 0.05
	done
	grep -E 'VmRSS|VmHWM' /proc/$pid/status | tr -s ' \t' ' ' | tr '\n' ' '
	kill $pid; wait $pid || true
	pid=
	echo
}
python3 "$top/bench/gen-config.py" "$work/small" 1 1 3
mkdir -p "$work/small/state" "$work/small/spool"
echo "== daemon memory"
echo "small config (1 DID):      $(rss "$work/small")"
echo "large config (10,000 DIDs): $(rss "$work/big")"
