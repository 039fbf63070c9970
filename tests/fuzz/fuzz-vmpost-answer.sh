#!/bin/sh
# Builds src/vmpost_answer.c's libFuzzer target (the transcription answer parser) with clang
# and runs it for a bounded time (FUZZ_SECONDS, default 30) from a seed corpus of JSON and
# plain-text answers. Prints TAP.
set -u
: "${TOP_SRCDIR:?run through make check}"
secs=${FUZZ_SECONDS:-30}
if ! command -v clang >/dev/null 2>&1; then
	echo "1..0 # SKIP clang is not installed (CI installs it)"
	exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/scaidial-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$TOP_SRCDIR/src
if ! clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I"$src" \
    "$TOP_SRCDIR/tests/fuzz/fuzz_vmpost_answer.c" "$src/vmpost_answer.c" \
    "$src/buf.c" "$src/xmalloc.c" -o "$work/fuzz_vmpost_answer" >"$work/build.log" 2>&1; then
	echo "not ok 1 - fuzz_vmpost_answer builds"
	sed 's/^/# /' "$work/build.log"
	echo "1..1"
	exit 1
fi
echo "ok 1 - fuzz_vmpost_answer builds"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$TOP_SRCDIR"/tests/fuzz/corpus/vmpost_answer/* "$work/corpus/"
if "$work/fuzz_vmpost_answer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -max_len=8192 -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/fuzz.log" 2>&1; then
	echo "ok 2 - fuzz_vmpost_answer ran ${secs}s without a finding: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/fuzz.log" || tail -n 1 "$work/fuzz.log")"
else
	echo "not ok 2 - fuzz_vmpost_answer found a crash, leak or sanitizer error"
	tail -n 60 "$work/fuzz.log" | sed 's/^/# /'
	for f in "$work"/artifacts/*; do
		[ -f "$f" ] && echo "# reproducer ($f), base64:" && base64 "$f" | sed 's/^/# /'
	done
	echo "1..2"
	exit 1
fi
echo "1..2"
