#!/bin/sh
# Builds the config loader's libFuzzer target with clang and runs it for a bounded time
# (FUZZ_SECONDS, default 30) from the seed corpus. Prints TAP.
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
srcs="$src/arena.c $src/buf.c $src/config.c $src/config_src.c $src/config_parse.c \
$src/config_rules.c $src/log.c $src/loop.c $src/number.c $src/strmap.c $src/tz.c \
$src/timewin.c $src/xmalloc.c"
# shellcheck disable=SC2086
if ! clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I"$src" $(pkg-config --cflags libconfig sofia-sip-ua openssl) \
    "$TOP_SRCDIR/tests/fuzz/fuzz_config.c" $srcs \
    $(pkg-config --libs libconfig sofia-sip-ua openssl) -o "$work/fuzz_config" >"$work/build.log" 2>&1; then
	echo "not ok 1 - fuzz_config builds"
	sed 's/^/# /' "$work/build.log"
	echo "1..1"
	exit 1
fi
echo "ok 1 - fuzz_config builds"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$TOP_SRCDIR"/tests/fuzz/corpus/config/* "$work/corpus/"
# libconfig 1.5 (Debian 12) leaks the strings its scanner allocated when a syntax error
# ends the parse; that is not ours to fix, so LeakSanitizer ignores leaks from libconfig.
if LSAN_OPTIONS="suppressions=$TOP_SRCDIR/tests/fuzz/lsan.supp:print_suppressions=0" \
    "$work/fuzz_config" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -dict="$TOP_SRCDIR/tests/fuzz/config.dict" -artifact_prefix="$work/artifacts/" \
    "$work/corpus" >"$work/fuzz.log" 2>&1; then
	echo "ok 2 - fuzz_config ran ${secs}s without a finding: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/fuzz.log" || tail -n 1 "$work/fuzz.log")"
else
	echo "not ok 2 - fuzz_config found a crash, leak or sanitizer error"
	tail -n 60 "$work/fuzz.log" | sed 's/^/# /'
	for f in "$work"/artifacts/*; do
		[ -f "$f" ] && echo "# reproducer ($f), base64:" && base64 "$f" | sed 's/^/# /'
	done
	echo "1..2"
	exit 1
fi
echo "1..2"
