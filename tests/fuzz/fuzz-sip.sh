#!/bin/sh
# Builds the SIP libFuzzer target (sofia-sip's parser, then our reading of the request:
# DID, caller, dialplan) with clang and runs it for a bounded time (FUZZ_SECONDS, default
# 30) from the seed corpus, plus the RFC 4475 messages when they are at hand. Prints TAP.
set -u
: "${TOP_SRCDIR:?run through make check}"
secs=${FUZZ_SECONDS:-30}
if ! command -v clang >/dev/null 2>&1; then
	echo "1..0 # SKIP clang is not installed (CI installs it)"
	exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/scaidial-fuzz-sip.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$TOP_SRCDIR/src
srcs="$src/arena.c $src/buf.c $src/config.c $src/config_src.c $src/config_parse.c \
$src/config_rules.c $src/log.c $src/loop.c $src/number.c $src/strmap.c $src/tz.c \
$src/timewin.c $src/xmalloc.c $src/dialplan.c $src/sip_route.c"
# shellcheck disable=SC2086
if ! clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I"$src" $(pkg-config --cflags libconfig sofia-sip-ua openssl) \
    "$TOP_SRCDIR/tests/fuzz/fuzz_sip.c" $srcs \
    $(pkg-config --libs libconfig sofia-sip-ua openssl) -o "$work/fuzz_sip" >"$work/build.log" 2>&1; then
	echo "not ok 1 - fuzz_sip builds"
	sed 's/^/# /' "$work/build.log"
	echo "1..1"
	exit 1
fi
echo "ok 1 - fuzz_sip builds"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$TOP_SRCDIR"/tests/fuzz/corpus/sip/* "$work/corpus/"
[ -n "${SCAIDIAL_TESTDATA:-}" ] && cp "$SCAIDIAL_TESTDATA"/rfc4475/*.dat "$work/corpus/" 2>/dev/null
if LSAN_OPTIONS="suppressions=$TOP_SRCDIR/tests/fuzz/lsan.supp:print_suppressions=0" \
    "$work/fuzz_sip" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/fuzz.log" 2>&1; then
	echo "ok 2 - fuzz_sip ran ${secs}s without a finding: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/fuzz.log" || tail -n 1 "$work/fuzz.log")"
else
	echo "not ok 2 - fuzz_sip found a crash, leak or sanitizer error"
	tail -n 60 "$work/fuzz.log" | sed 's/^/# /'
	for f in "$work"/artifacts/*; do
		[ -f "$f" ] && echo "# reproducer ($f), base64:" && base64 "$f" | sed 's/^/# /'
	done
	echo "1..2"
	exit 1
fi
echo "1..2"
