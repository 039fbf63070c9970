#!/usr/bin/env bash
# tests/package/package.sh: the Debian package test (issue 7). Prints TAP.
#
# Builds the scaidial .deb from a clean export of the repository (`git archive $PKG_REF`,
# default HEAD: uncommitted files do not leak into the package), runs lintian on it, then
# INSTALLS IT ONTO THIS MACHINE with apt-get, checks what the admin gets (binaries, man
# pages, conffiles, unit, completion, the scaidial user, directories and modes, a valid
# installed configuration), and removes and purges it again.
#
# Run by CI (contrib/dev/test-all.sh, after `make check`) as root on a throwaway Debian 12
# machine; installing there is acceptable, and the only thing it leaves behind is the
# `scaidial` system user (kept on purge, like Debian packages do: doc/operations-systemd.md).
# It is not part of `make check`: it needs root, apt and dpkg, and takes minutes.
# Without root it skips; it also skips (unless PKG_TEST_FORCE=1) where scaidial looks
# really in use (the service running, or a database in /var/lib/scaidial), so it never
# purges an operator's data.
#
# The machine has no systemd as PID 1 (CI containers), so the unit is verified statically
# (systemd-analyze verify, systemd-analyze security --offline) and never started.
#
# Environment: PKG_REF (git ref to package, default HEAD), PKG_TIMEOUT (seconds for the
# whole test, default 2400), PKG_OUT (where the .deb, build log and lintian output are
# kept, default _build/package), PKG_MAX_EXPOSURE (highest acceptable
# `systemd-analyze security` exposure, default 2.0).
#
# Apt packages it needs besides the Build-Depends of debian/control: build-essential
# debhelper dpkg-dev fakeroot lintian git systemd (for systemd-analyze) util-linux.
set -uo pipefail

PKG_TIMEOUT=${PKG_TIMEOUT:-2400}
if [ -z "${PKG_TEST_INNER:-}" ]; then
	# Bound the whole run; if the bound is hit, say so in TAP rather than just stopping.
	PKG_TEST_INNER=1 timeout -k 15 "$PKG_TIMEOUT" "$0" "$@"
	rc=$?
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		echo "not ok - package test timed out after ${PKG_TIMEOUT}s"
		echo "Bail out! timed out"
	fi
	exit $rc
fi

top=$(cd "$(dirname "$0")/../.." && pwd)
PKG_REF=${PKG_REF:-HEAD}
PKG_OUT=${PKG_OUT:-$top/_build/package}
PKG_MAX_EXPOSURE=${PKG_MAX_EXPOSURE:-2.0}
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

n=0
failed=0
work=

ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }
# check DESCRIPTION COMMAND...: one test point; the command's output is shown on failure.
check() {
	local desc=$1
	shift
	if "$@" >"$work/out" 2>&1; then
		ok "$desc"
	else
		nok "$desc"
		tail -n 40 "$work/out" | diag
	fi
}
# Every bail follows a "not ok" line, so counting "not ok" lines sees the failure.
bail() {
	echo "Bail out! $*"
	exit 1
}
finish() {
	echo "1..$n"
	[ $failed -eq 0 ] || echo "# $failed of $n failed"
	[ $failed -eq 0 ]
	exit $?
}
cleanup() {
	[ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "Bail out! interrupted"; exit 124' TERM INT

# --- may this run here at all ---------------------------------------------------------
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (installs the package)"; exit 0; }
command -v dpkg >/dev/null || { echo "1..0 # SKIP not a Debian system"; exit 0; }
git -C "$top" rev-parse --verify -q "$PKG_REF^{commit}" >/dev/null ||
	{ echo "1..0 # SKIP $top is not a git checkout with $PKG_REF"; exit 0; }
if [ -z "${PKG_TEST_FORCE:-}" ]; then
	if [ -d /run/systemd/system ] && systemctl -q is-active scaidial 2>/dev/null; then
		echo "1..0 # SKIP scaidial.service is running here; PKG_TEST_FORCE=1 to purge it"
		exit 0
	fi
	if [ -e /var/lib/scaidial/scaidial.db ]; then
		echo "1..0 # SKIP /var/lib/scaidial/scaidial.db exists; PKG_TEST_FORCE=1 to purge it"
		exit 0
	fi
fi

work=$(mktemp -d /tmp/scaidial-package.XXXXXX)
mkdir -p "$PKG_OUT"
echo "# packaging $PKG_REF ($(git -C "$top" rev-parse --short "$PKG_REF")) in $work"
dirty=$(git -C "$top" status --porcelain -- debian contrib etc man src configure.ac Makefile.am 2>/dev/null)
[ -z "$dirty" ] || { echo "uncommitted changes are NOT in the package (git archive $PKG_REF):"; echo "$dirty"; } | diag

# --- tools ------------------------------------------------------------------------------
missing=
for t in dpkg-buildpackage dh fakeroot lintian systemd-analyze gcc make setpriv timeout; do
	command -v $t >/dev/null || missing="$missing $t"
done
if [ -n "$missing" ]; then
	nok "tools present (missing:$missing)"
	echo "apt-get install build-essential debhelper dpkg-dev fakeroot lintian git systemd util-linux" | diag
	bail "cannot build the package"
fi
ok "tools present (dpkg-buildpackage, debhelper, lintian, systemd-analyze)"

# --- build ------------------------------------------------------------------------------
src=$work/src/scaidial
mkdir -p "$src"
check "clean export of $PKG_REF (git archive)" \
	bash -c "git -C '$top' archive --format=tar '$PKG_REF' | tar -x -C '$src'"
[ -f "$src/debian/control" ] || { nok "debian/control in $PKG_REF"; bail "nothing to build"; }

if (cd "$src" && dpkg-checkbuilddeps) >"$work/out" 2>&1; then
	ok "build dependencies installed"
else
	nok "build dependencies installed"
	diag <"$work/out"
	bail "install the Build-Depends of debian/control"
fi

if (cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
	timeout 1800 dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	nok "dpkg-buildpackage -us -uc -b"
	tail -n 60 "$work/build.log" | diag
	cp "$work/build.log" "$PKG_OUT/"
	bail "the package does not build"
fi
cp "$work/build.log" "$PKG_OUT/"

version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
deb=$work/src/scaidial_${version}_${arch}.deb
changes=$work/src/scaidial_${version}_${arch}.changes
[ -f "$deb" ] || { nok "$(basename "$deb") built"; ls "$work/src" | diag; bail "no package"; }
cp "$work"/src/*.deb "$changes" "$PKG_OUT/"
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)" | diag

# --- lintian ----------------------------------------------------------------------------
# Errors fail the test; warnings (and info tags) are printed. Justified exceptions live in
# debian/scaidial.lintian-overrides and debian/source/lintian-overrides.
timeout 600 lintian --fail-on error --info --display-info --show-overrides "$changes" >"$work/lintian.txt" 2>&1
lrc=$?
grep -v '^running with root privileges' "$work/lintian.txt" >"$PKG_OUT/lintian.txt"
errors=$(grep -c '^E: ' "$PKG_OUT/lintian.txt")
warnings=$(grep -c '^W: ' "$PKG_OUT/lintian.txt")
grep -E '^(E|W|I|O): ' "$PKG_OUT/lintian.txt" | diag
if [ $lrc -eq 0 ] && [ "$errors" -eq 0 ]; then
	ok "lintian: no errors ($warnings warnings)"
else
	nok "lintian: no errors ($errors errors, $warnings warnings, exit $lrc)"
	[ "$errors" -gt 0 ] || tail -n 20 "$PKG_OUT/lintian.txt" | diag
fi

# --- install ----------------------------------------------------------------------------
if dpkg-query -W -f='${Status}' scaidial 2>/dev/null | grep -q 'install\|config-files'; then
	echo "purging the scaidial package already on this machine" | diag
	dpkg -P scaidial >/dev/null 2>&1 || true
fi
existing_uid=$(id -u scaidial 2>/dev/null || true)

if timeout 900 apt-get install -y -q "$deb" </dev/null >"$work/apt.log" 2>&1; then
	ok "apt-get install ./$(basename "$deb")"
else
	nok "apt-get install ./$(basename "$deb")"
	tail -n 40 "$work/apt.log" | diag
	bail "the package does not install"
fi
check "dpkg: scaidial is installed" \
	bash -c "dpkg-query -W -f='\${Status}' scaidial | grep -qx 'install ok installed'"

# --- files ------------------------------------------------------------------------------
dpkg -L scaidial | sort >"$work/files"
have() { grep -qx -- "$1" "$work/files"; }
unitdir=/lib/systemd/system
have /usr/lib/systemd/system/scaidial.service && unitdir=/usr/lib/systemd/system
unit=$unitdir/scaidial.service

expect=(/usr/sbin/scaidial /usr/bin/scaidial-ctl
	/usr/share/man/man8/scaidial.8.gz /usr/share/man/man8/scaidial-ctl.8.gz
	/usr/share/man/man5/scaidial.conf.5.gz
	"$unit" /usr/share/bash-completion/completions/scaidial-ctl
	/usr/share/doc/scaidial/copyright /usr/share/doc/scaidial/changelog.gz
	/etc/scaidial/scaidial.conf)
for f in "$src"/etc/conf.d/*.conf; do
	[ -e "$f" ] && expect+=("/etc/scaidial/conf.d/$(basename "$f")")
done
[ -d "$src/contrib/fail2ban" ] && expect+=(/usr/share/doc/scaidial/examples/fail2ban)
for f in "${expect[@]}"; do
	check "file: $f" bash -c "grep -qx -- '$f' '$work/files' && test -e '$f'"
done
check "files: nothing under /usr/local, /var, /run, /tmp or /home" \
	bash -c "! grep -E '^/(usr/local|var|run|tmp|home)(/|$)' '$work/files'"
check "files: binaries are root:root 0755" \
	bash -c 'for f in /usr/sbin/scaidial /usr/bin/scaidial-ctl; do
		[ "$(stat -c "%U:%G %a" "$f")" = "root:root 755" ] || { stat -c "%n %U:%G %a" "$f"; exit 1; }; done'
dpkg-query -W -f='${Conffiles}\n' scaidial | awk 'NF { print $1 }' | sort >"$work/conffiles"
check "conffiles: every file under /etc is a conffile" \
	bash -c "while read -r f; do [ -d \"\$f\" ] && continue; grep -qx -- \"\$f\" '$work/conffiles' || { echo \"not a conffile: \$f\"; exit 1; }; done < <(grep '^/etc/' '$work/files')"
check "conffiles: /etc/scaidial/scaidial.conf and conf.d/*.conf" \
	bash -c "grep -qx /etc/scaidial/scaidial.conf '$work/conffiles' && [ \$(grep -c '^/etc/scaidial/conf.d/.*\.conf\$' '$work/conffiles') -ge 1 ]"
echo "package files:" | diag
grep -v '/$' "$work/files" | while read -r f; do [ -d "$f" ] || echo "  $f"; done | diag

# --- the programs on the installed configuration ----------------------------------------
upstream=${version%-*}
check "scaidial -V prints version $upstream" bash -c "/usr/sbin/scaidial -V | grep -F -- '$upstream'"
if /usr/sbin/scaidial -t -c /etc/scaidial/scaidial.conf >"$work/out" 2>&1; then
	ok "scaidial -t -c /etc/scaidial/scaidial.conf exits 0"
	diag <"$work/out"
else
	nok "scaidial -t -c /etc/scaidial/scaidial.conf exits 0"
	tail -n 40 "$work/out" | diag
fi
check "user scaidial can read the installed configuration (scaidial -t as scaidial)" \
	setpriv --reuid=scaidial --regid=scaidial --init-groups \
	/usr/sbin/scaidial -t -c /etc/scaidial/scaidial.conf
check "other users cannot read /etc/scaidial (it holds secrets)" \
	bash -c '! setpriv --reuid=nobody --regid=nogroup --clear-groups cat /etc/scaidial/scaidial.conf'
/usr/bin/scaidial-ctl -s "$work/no-daemon.sock" status >"$work/out" 2>&1
rc=$?
if [ $rc -eq 2 ]; then
	ok "scaidial-ctl without a daemon exits 2 (cannot reach)"
else
	nok "scaidial-ctl without a daemon exits 2 (cannot reach), got $rc"
	tail -n 5 "$work/out" | diag
fi

# --- user, group, directories -----------------------------------------------------------
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd scaidial) || uid=
check "user scaidial exists" test -n "$uid"
check "user scaidial is a system user (uid $uid < 1000)" test "${uid:-9999}" -lt 1000
check "user scaidial: home /var/lib/scaidial, shell /usr/sbin/nologin" \
	test "${home:-}:${shell:-}" = /var/lib/scaidial:/usr/sbin/nologin
check "group scaidial exists and is the user's primary group" \
	test "$(getent group scaidial | cut -d: -f3)" = "${gid:-x}"
if [ -n "$existing_uid" ]; then
	check "the existing scaidial user was reused (uid $existing_uid)" test "$existing_uid" = "$uid"
fi
mode() { stat -c '%U:%G %a' "$1" 2>&1; }
check "/var/lib/scaidial is scaidial:scaidial 0750" test "$(mode /var/lib/scaidial)" = "scaidial:scaidial 750"
check "/var/spool/scaidial is scaidial:scaidial 0750" test "$(mode /var/spool/scaidial)" = "scaidial:scaidial 750"
check "/etc/scaidial is root:scaidial 0750" test "$(mode /etc/scaidial)" = "root:scaidial 750"
check "/etc/scaidial mode is a dpkg-statoverride (kept across upgrades)" \
	bash -c 'dpkg-statoverride --list /etc/scaidial | grep -Eqx "root scaidial 0?750 /etc/scaidial"'

# --- the systemd unit, statically -------------------------------------------------------
echo "PID 1 is $(ps -p 1 -o comm= 2>/dev/null); the unit is checked statically, not started" | diag
man_opt=--man=yes
command -v man >/dev/null || man_opt=--man=no
if systemd-analyze verify $man_opt "$unit" >"$work/out" 2>&1 && ! grep -q . "$work/out"; then
	ok "systemd-analyze verify $unit"
else
	nok "systemd-analyze verify $unit"
	diag <"$work/out"
fi
systemd-analyze security --offline=yes --no-pager "$unit" >"$work/security.txt" 2>&1
exposure=$(sed -n 's/.*Overall exposure level for scaidial.service: \([0-9.]*\).*/\1/p' "$work/security.txt")
cp "$work/security.txt" "$PKG_OUT/"
if [ -n "$exposure" ] && awk -v e="$exposure" -v m="$PKG_MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }'; then
	ok "systemd-analyze security: exposure $exposure <= $PKG_MAX_EXPOSURE"
else
	nok "systemd-analyze security: exposure ${exposure:-?} <= $PKG_MAX_EXPOSURE"
	tail -n 30 "$work/security.txt" | diag
fi
for k in Type=notify User=scaidial ProtectSystem=strict NoNewPrivileges=yes \
	CapabilityBoundingSet=CAP_NET_BIND_SERVICE AmbientCapabilities=CAP_NET_BIND_SERVICE \
	RuntimeDirectory=scaidial StateDirectory=scaidial; do
	check "unit: $k" grep -qx -- "$k" "$unit"
done
check "service is not enabled on first install (the sample config has placeholder secrets)" \
	bash -c '! ls /etc/systemd/system/*.wants/scaidial.service 2>/dev/null | grep -q .'

# --- bash completion --------------------------------------------------------------------
comp() {
	bash -c '. /usr/share/bash-completion/completions/scaidial-ctl
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_scaidial_ctl; echo "${COMPREPLY[*]}"' comp "$@"
}
c=$(comp scaidial-ctl st 2>&1)
check "completion: scaidial-ctl st<TAB> -> status" test "$c" = status
c=$(comp scaidial-ctl "" 2>&1)
check "completion: all commands offered" bash -c "for w in help status reload trunks dids extensions dialplans calls call cdr voicemail metrics; do
	[[ ' $c ' == *\" \$w \"* ]] || { echo \"missing \$w in: $c\"; exit 1; }; done"
c=$(comp scaidial-ctl --json cdr --since 2026-01-01T00:00:00Z -- 2>&1)
check "completion: cdr --since X --<TAB> -> --limit" test "$c" = --limit
c=$(comp scaidial-ctl -- 2>&1)
check "completion: global options (--json)" bash -c "[[ ' $c ' == *' --json '* ]]"

# --- reinstall (upgrade path) keeps local edits -----------------------------------------
echo "# local edit by package.sh $$" >>/etc/scaidial/scaidial.conf
if timeout 600 dpkg -i "$deb" </dev/null >"$work/out" 2>&1; then
	ok "reinstall (dpkg -i, upgrade path) succeeds without prompting"
else
	nok "reinstall (dpkg -i, upgrade path) succeeds without prompting"
	tail -n 20 "$work/out" | diag
fi
check "reinstall keeps the admin's edit of scaidial.conf" grep -q "local edit by package.sh $$" /etc/scaidial/scaidial.conf
check "reinstall keeps /var/lib/scaidial scaidial:scaidial 0750" test "$(mode /var/lib/scaidial)" = "scaidial:scaidial 750"

# --- remove keeps state, purge removes it -----------------------------------------------
# Stand-ins for a database and a voicemail message.
echo data >/var/lib/scaidial/scaidial.db && chown scaidial:scaidial /var/lib/scaidial/scaidial.db
mkdir -p /var/spool/scaidial/voicemail && echo audio >/var/spool/scaidial/voicemail/1.wav
check "dpkg -r scaidial" timeout 300 dpkg -r scaidial
check "remove: the programs are gone" bash -c '! test -e /usr/sbin/scaidial && ! test -e /usr/bin/scaidial-ctl'
check "remove: package state is config-files" \
	bash -c "dpkg-query -W -f='\${Status}' scaidial | grep -qx 'deinstall ok config-files'"
check "remove: /var/lib/scaidial and the database are kept" test -f /var/lib/scaidial/scaidial.db
check "remove: /var/spool/scaidial is kept" test -f /var/spool/scaidial/voicemail/1.wav
check "remove: the configuration is kept" grep -q "local edit by package.sh $$" /etc/scaidial/scaidial.conf
check "remove: user scaidial is kept" getent passwd scaidial

check "dpkg -P scaidial" timeout 300 dpkg -P scaidial
check "purge: the package is gone" bash -c '! dpkg-query -W -f="\${Status}" scaidial 2>/dev/null | grep -q installed'
check "purge: /var/lib/scaidial is removed" test ! -e /var/lib/scaidial
check "purge: /var/spool/scaidial is removed" test ! -e /var/spool/scaidial
check "purge: /etc/scaidial is removed" test ! -e /etc/scaidial
check "purge: the dpkg-statoverride of /etc/scaidial is removed" \
	bash -c '! dpkg-statoverride --list /etc/scaidial'
# Debian practice (and our choice): a system user outlives the package, so files that
# still carry its UID never fall to a later, unrelated account.
check "purge: user and group scaidial are kept (Debian practice)" \
	bash -c 'getent passwd scaidial && getent group scaidial'

# --- install again after purge: the kept user is reused ---------------------------------
if timeout 900 apt-get install -y -q "$deb" </dev/null >"$work/apt.log" 2>&1; then
	check "install after purge reuses the kept user (uid $uid)" test "$(id -u scaidial)" = "$uid"
	check "install after purge recreates /var/lib/scaidial 0750" test "$(mode /var/lib/scaidial)" = "scaidial:scaidial 750"
else
	nok "install after purge"
	tail -n 20 "$work/apt.log" | diag
fi
check "final purge" timeout 300 dpkg -P scaidial

finish
