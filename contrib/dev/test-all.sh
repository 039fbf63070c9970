#!/usr/bin/env bash
# test-all.sh: the README's second command, and what CI runs (.ci/run). Installs what is
# missing, then: a -Werror build with `make check` and `make distcheck`; an ASan+UBSan
# build with `make check`; the unit tests and the daemon's integration tests under
# valgrind; the Debian package test (as root). Ends with one "N passed, N failed" line.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
export FUZZ_SECONDS=${FUZZ_SECONDS:-30}
# Shared test material (RFC 4475 messages) beside the checkout, as CI lays it out.
[ -d "$top/../shared/testdata" ] && export SCAIDIAL_TESTDATA=${SCAIDIAL_TESTDATA:-$(cd "$top/../shared/testdata" && pwd)}

contrib/dev/deps.sh test || exit 1
autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed"; exit 1; }

failed_stages=()
jobs=$(nproc)

stage() {
	local name=$1
	shift
	echo "=== $name"
	if "$@"; then
		echo "=== $name: ok"
	else
		echo "=== $name: FAILED"
		failed_stages+=("$name")
	fi
}

show_failures() {
	local dir=$1 trs
	for trs in $(find "$dir" -name '*.trs' 2>/dev/null); do
		if grep -q ':global-test-result: \(FAIL\|ERROR\)' "$trs"; then
			echo "--- ${trs%.trs}.log"
			# The failed points first (a long daemon log would push them out of the tail).
			grep -A 6 '^not ok' "${trs%.trs}.log" | head -n 60
			echo "--- (tail)"
			tail -n 60 "${trs%.trs}.log"
		fi
	done
}

build_check() {
	local dir=$1
	shift
	rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || return 1
	"$top"/configure -q "$@" >/dev/null || return 1
	make -s -j"$jobs" >/dev/null || make -j1 || return 1
	local rc=0
	make -s -j"$jobs" check >/dev/null 2>&1 || rc=1
	grep -h '^# \(TOTAL\|PASS\|FAIL\|SKIP\|ERROR\)' test-suite.log 2>/dev/null
	[ $rc -eq 0 ] || show_failures .
	cd "$top"
	return $rc
}

valgrind_check() {
	local dir=_build/release rc=0 t
	for t in "$dir"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		case $t in *.o|*.log|*.trs) continue ;; esac
		if TOP_SRCDIR=$top valgrind -q --error-exitcode=99 --leak-check=full \
		    --suppressions="$top/contrib/dev/valgrind.supp" \
		    --errors-for-leak-kinds=definite,indirect "$t" >"$t.vg.log" 2>&1; then
			echo "valgrind: $(basename "$t"): clean"
		else
			echo "valgrind: $(basename "$t"): FAILED"; tail -n 40 "$t.vg.log"; rc=1
		fi
	done
	# The daemon itself, under valgrind, through the integration tests.
	( cd "$dir" && make -s check TESTS="$(cd "$top" && ls tests/integration/*.sh 2>/dev/null | grep -v 'lib\.sh$' | tr '\n' ' ')" \
	    SCAIDIAL_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --suppressions=$top/contrib/dev/valgrind.supp" \
	    >/dev/null 2>&1 ) || { show_failures "$dir/tests/integration"; rc=1; }
	return $rc
}

stage "release build (-Werror), make check" build_check _build/release --enable-werror
stage "make distcheck" bash -c "cd _build/release && make -s distcheck >distcheck.log 2>&1 || { tail -n 60 distcheck.log; exit 1; }"
stage "ASan+UBSan build, make check" build_check _build/asan --enable-werror --enable-sanitizers
stage "valgrind" valgrind_check
if [ -x tests/package/package.sh ] && [ "$(id -u)" -eq 0 ]; then
	stage "Debian package" bash -c "tests/package/package.sh | tee _build/package.tap"
fi

# One line that counts every test point of every stage.
pass=0; fail=0; skip=0
for trs in $(find _build/release _build/asan -name '*.trs' -not -path '*/_build/sub/*' 2>/dev/null); do
	pass=$((pass + $(grep -c '^:test-result: \(PASS\|XFAIL\)' "$trs")))
	fail=$((fail + $(grep -c '^:test-result: \(FAIL\|XPASS\|ERROR\)' "$trs")))
	skip=$((skip + $(grep -c '^:test-result: SKIP' "$trs")))
done
if [ -f _build/package.tap ]; then
	pass=$((pass + $(grep -c '^ok ' _build/package.tap)))
	fail=$((fail + $(grep -c '^not ok ' _build/package.tap)))
fi
fail=$((fail + ${#failed_stages[@]}))
[ ${#failed_stages[@]} -eq 0 ] || echo "failed stages: ${failed_stages[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
