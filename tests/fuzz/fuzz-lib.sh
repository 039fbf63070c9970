# fuzz-lib.sh: what every libFuzzer test script does, sourced by them. A target is built
# with clang by the script itself (so the main build keeps whatever compiler configure
# chose), run for FUZZ_SECONDS (default 30) from its seed corpus, and any crash, leak or
# sanitizer report fails the test with the reproducer printed in base64. Prints TAP.
set -u
: "${TOP_SRCDIR:?run through make check}"

# fuzz_run NAME SOURCES PKG_MODULES CORPUS [LIBFUZZER_ARGS...]: tests/fuzz/NAME.c with
# SOURCES (paths), the pkg-config modules' flags, seeds from tests/fuzz/corpus/CORPUS and
# from the directory FUZZ_MORE_SEEDS when set.
fuzz_run() {
	local name=$1 srcs=$2 pkgs=$3 corpus=$4 secs=${FUZZ_SECONDS:-30} work f
	shift 4
	if ! command -v clang >/dev/null 2>&1; then
		echo "1..0 # SKIP clang is not installed (CI installs it)"
		exit 0
	fi
	work=$(mktemp -d "${TMPDIR:-/tmp}/scaidial-$name.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	# shellcheck disable=SC2086,SC2046
	if ! clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -I"$TOP_SRCDIR/src" \
	    $([ -n "$pkgs" ] && pkg-config --cflags $pkgs) \
	    "$TOP_SRCDIR/tests/fuzz/$name.c" $srcs \
	    $([ -n "$pkgs" ] && pkg-config --libs $pkgs) -lm -o "$work/$name" >"$work/build.log" 2>&1; then
		echo "not ok 1 - $name builds"
		sed 's/^/# /' "$work/build.log"
		echo "1..1"
		exit 1
	fi
	echo "ok 1 - $name builds"
	mkdir -p "$work/corpus" "$work/artifacts"
	cp "$TOP_SRCDIR/tests/fuzz/corpus/$corpus"/* "$work/corpus/"
	[ -n "${FUZZ_MORE_SEEDS:-}" ] && cp "$FUZZ_MORE_SEEDS"/* "$work/corpus/" 2>/dev/null
	# libconfig 1.5 (Debian 12) leaks the strings its scanner allocated when a syntax
	# error ends a parse; not ours to fix, so LeakSanitizer ignores leaks from libconfig.
	if LSAN_OPTIONS="suppressions=$TOP_SRCDIR/tests/fuzz/lsan.supp:print_suppressions=0" \
	    "$work/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$work/artifacts/" "$@" "$work/corpus" >"$work/fuzz.log" 2>&1; then
		echo "ok 2 - $name ran ${secs}s without a finding: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/fuzz.log" || tail -n 1 "$work/fuzz.log")"
	else
		echo "not ok 2 - $name found a crash, leak or sanitizer error"
		tail -n 60 "$work/fuzz.log" | sed 's/^/# /'
		for f in "$work"/artifacts/*; do
			[ -f "$f" ] && echo "# reproducer ($f), base64:" && base64 "$f" | sed 's/^/# /'
		done
		echo "1..2"
		exit 1
	fi
	echo "1..2"
}
