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
# (systemd-analyze verify, systemd-analyze security --offline) and never started. Instead
# the installed daemon is run once the way the unit would run it (user scaidial, umask
# 0007, /run/scaidial made for it, NOTIFY_SOCKET and JOURNAL_STREAM set) on the installed
# configuration: READY=1, scaidial-ctl through /run/scaidial/ctl.sock (root, group
# scaidial, not others), a reload (RELOADING=1 ... READY=1, STATUS=), two SIP requests it
# refuses (403, and the installed fail2ban example filter matches the refusals), SIGTERM.
# Under strace
# (when it works here) the same run shows that every system call is inside the unit's
# SystemCallFilter, every socket family inside RestrictAddressFamilies, no W+X mapping
# (MemoryDenyWriteExecute) and no write outside the unit's writable paths. That run binds
# the sample's 0.0.0.0:5060 (UDP and TCP), which must be free, and the sample's trunks
# point at reserved names and documentation addresses (RFC 2606, RFC 5737).
#
# Environment: PKG_REF (git ref to package, default HEAD), PKG_TIMEOUT (seconds for the
# whole test, default 2400), PKG_OUT (where the .deb, build log and lintian output are
# kept, default _build/package), PKG_MAX_EXPOSURE (highest acceptable
# `systemd-analyze security` exposure, default 2.0).
#
# Apt packages it needs besides the Build-Depends of debian/control: build-essential
# debhelper dpkg-dev fakeroot lintian git systemd (for systemd-analyze) util-linux python3
# iproute2, and strace for the system call checks (skipped without it).
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
	"$unit" /usr/share/bash-completion/completions/scaidial-ctl
	/usr/share/scaidial/greeting.wav
	/usr/share/doc/scaidial/copyright /usr/share/doc/scaidial/changelog.gz
	/etc/scaidial/scaidial.conf)
# Every man page of the source tree, every sample conf.d file, every fail2ban example.
for f in "$src"/man/*.[1-8]; do
	[ -e "$f" ] && expect+=("/usr/share/man/man${f##*.}/$(basename "$f").gz")
done
for f in "$src"/etc/conf.d/*.conf; do
	[ -e "$f" ] && expect+=("/etc/scaidial/conf.d/$(basename "$f")")
done
while read -r f; do
	expect+=("/usr/share/doc/scaidial/examples/${f#contrib/}")
done < <(cd "$src" && find contrib/fail2ban -type f 2>/dev/null | sort)
for f in "${expect[@]}"; do
	check "file: $f" bash -c "grep -qx -- '$f' '$work/files' && test -e '$f'"
done
# dh_compress gzips the larger documents only.
check "docs: README.md and every doc/*.md in /usr/share/doc/scaidial" \
	bash -c 'for f in "$1/README.md" "$1"/doc/*.md; do b=/usr/share/doc/scaidial/$(basename "$f")
		grep -qx -- "$b\(.gz\)\?" "$2" || { echo "missing $b"; exit 1; }; done' docs "$src" "$work/files"
check "files: nothing under /usr/local, /var, /run, /tmp or /home" \
	bash -c "! grep -E '^/(usr/local|var|run|tmp|home)(/|$)' '$work/files'"
check "the default greeting is data/greeting.wav, a RIFF/WAVE file, root:root 0644" \
	bash -c 'cmp "$1/data/greeting.wav" /usr/share/scaidial/greeting.wav &&
		[ "$(head -c 4 /usr/share/scaidial/greeting.wav)" = RIFF ] &&
		[ "$(tail -c +9 /usr/share/scaidial/greeting.wav | head -c 4)" = WAVE ] &&
		[ "$(stat -c "%U:%G %a" /usr/share/scaidial/greeting.wav)" = "root:root 644" ]' greeting "$src"
check "the fail2ban examples are the source tree's" \
	bash -c 'cd "$1/contrib/fail2ban" && for f in $(find . -type f); do
		cmp "$f" "/usr/share/doc/scaidial/examples/fail2ban/$f" || exit 1; done' f2b "$src"
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
for k in Type=notify NotifyAccess=main Restart=on-failure User=scaidial Group=scaidial \
	"ExecReload=/usr/bin/scaidial-ctl reload" UMask=0007 \
	RuntimeDirectory=scaidial StateDirectory=scaidial ReadWritePaths=/var/spool/scaidial \
	LimitNOFILE=65536 NoNewPrivileges=yes CapabilityBoundingSet= PrivateUsers=yes \
	ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK"; do
	check "unit: $k" grep -qx -- "$k" "$unit"
done
check "unit: no AmbientCapabilities (nothing binds below 1024)" bash -c "! grep -q '^AmbientCapabilities=' '$unit'"
# With no capability, every listener of the shipped configuration must be >= 1024.
check "the sample's sip_listen ports are all >= 1024 (the unit grants no capability)" \
	bash -c 'ports=$(sed -n "s/^ *sip_listen *= *\[\(.*\)\].*/\1/p" /etc/scaidial/scaidial.conf |
		grep -o ":[0-9]*\"" | tr -d ":\""); [ -n "$ports" ] || exit 1
		for p in $ports; do [ "$p" -ge 1024 ] || { echo "port $p"; exit 1; }; done'
check "service is not enabled on first install (the sample config has placeholder secrets)" \
	bash -c '! ls /etc/systemd/system/*.wants/scaidial.service 2>/dev/null | grep -q .'

# --- the installed daemon, run as the unit would run it ---------------------------------
# No systemd as PID 1 here: this does by hand what the unit does (user and group scaidial,
# UMask=0007, RuntimeDirectory=, NOTIFY_SOCKET, JOURNAL_STREAM) and checks the daemon's side
# of the contract. The sandbox itself is checked through the strace of the same run.
nsdir=$(mktemp -d /tmp/scaidial-notify.XXXXXX)
chmod 0755 "$nsdir"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode(errors="replace").replace("\n", " ") + "\n")
' "$nsdir/notify" "$work/notify.log" >"$work/notify.out" 2>&1 &
npid=$!
for _ in $(seq 50); do grep -q bound "$work/notify.out" 2>/dev/null && break; sleep 0.1; done
chmod 0666 "$nsdir/notify" 2>/dev/null
# Waits up to $2 tenths of a second for a line matching $1 in the notify log.
notified() {
	local i
	for ((i = 0; i < $2; i++)); do
		grep -Eq -- "$1" "$work/notify.log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

tracer=()
if [ -z "${PKG_NO_STRACE:-}" ] && command -v strace >/dev/null &&
	strace -f -qq -o /dev/null true >/dev/null 2>&1; then
	# strace runs as scaidial (after setpriv), so its output is a file scaidial owns.
	install -o scaidial -g scaidial -m 0600 /dev/null "$nsdir/trace"
	tracer=(strace -f -qq -e signal=none -o "$nsdir/trace")
else
	echo "strace missing or not permitted here: the system call checks are skipped" | diag
fi

busy=$(ss -Hlnu 'sport = :5060' 2>/dev/null; ss -Hlnt 'sport = :5060' 2>/dev/null)
if [ -n "$busy" ]; then
	nok "port 5060 is free for the installed configuration's listeners"
	echo "$busy" | diag
fi
install -d -o scaidial -g scaidial -m 0750 /run/scaidial
: >"$work/daemon.log"
(
	cd / || exit 1
	umask 0007
	exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin NOTIFY_SOCKET="$nsdir/notify" \
		JOURNAL_STREAM="$(stat -c '%d:%i' "$work/daemon.log")" \
		setpriv --reuid=scaidial --regid=scaidial --init-groups --inh-caps=-all \
		"${tracer[@]}" /usr/sbin/scaidial -f -c /etc/scaidial/scaidial.conf
) 2>>"$work/daemon.log" >&2 &
runpid=$!
if notified '^READY=1' 300; then
	ok "daemon as scaidial on the installed configuration: READY=1 (sd_notify)"
else
	nok "daemon as scaidial on the installed configuration: READY=1 (sd_notify)"
	tail -n 30 "$work/daemon.log" | diag
fi
# MAINPID is the daemon, whichever process (strace) started it.
dpid=$(sed -n 's/^READY=1 MAINPID=\([0-9]*\).*/\1/p' "$work/notify.log" | head -n 1)
dpid=${dpid:-$runpid}
check "daemon runs as user and group scaidial, with no capability" \
	bash -c "[ \"\$(ps -o user=,group= -p $dpid | awk '{ print \$1, \$2 }')\" = 'scaidial scaidial' ] &&
		grep -Eq '^CapEff:[[:space:]]+0+\$' /proc/$dpid/status"
# main.c logs "running" right before READY=1, after sip_init() logged its listeners.
check "READY=1 follows the SIP listeners: logged before it, UDP and TCP 5060 bound" \
	bash -c "l=\$(grep -n '^<6>sip: listening on' '$work/daemon.log' | head -n 1 | cut -d: -f1)
		r=\$(grep -n '^<6>main: scaidial .* running' '$work/daemon.log' | cut -d: -f1)
		[ -n \"\$l\" ] && [ -n \"\$r\" ] && [ \"\$l\" -lt \"\$r\" ] &&
		ss -Hlnu 'sport = :5060' | grep -q . && ss -Hlnt 'sport = :5060' | grep -q ."
check "journal lines: <priority>subsystem: message, no timestamp (JOURNAL_STREAM)" \
	bash -c "grep -Eq '^<6>sip: listening on sip:' '$work/daemon.log' &&
		! grep -Ev '^<[0-7]>[a-z_-]+: ' '$work/daemon.log' | grep -q ."
check "STATUS= line with the call count and the configuration generation" \
	notified '^STATUS=0 calls in progress, configuration generation 1$' 30
check "/run/scaidial/ctl.sock is scaidial:scaidial 0660 (UMask=0007)" \
	test "$(stat -c '%U:%G %a %F' /run/scaidial/ctl.sock 2>&1)" = "scaidial:scaidial 660 socket"
if /usr/bin/scaidial-ctl status >"$work/ctl.out" 2>&1 && grep -q 'config generation *1' "$work/ctl.out"; then
	ok "scaidial-ctl status (root) through /run/scaidial/ctl.sock"
else
	nok "scaidial-ctl status (root) through /run/scaidial/ctl.sock"
	diag <"$work/ctl.out"
fi
check "scaidial-ctl status as a member of group scaidial (nobody + scaidial)" \
	setpriv --reuid=nobody --regid=nogroup --groups="$(getent group scaidial | cut -d: -f3)" \
	/usr/bin/scaidial-ctl status
check "scaidial-ctl is refused to others (nobody, socket given explicitly)" \
	bash -c '! setpriv --reuid=nobody --regid=nogroup --clear-groups \
		/usr/bin/scaidial-ctl -s /run/scaidial/ctl.sock status'
/usr/bin/scaidial-ctl --json help 2>/dev/null |
	python3 -c 'import json, sys; print("\n".join(c["command"] for c in json.load(sys.stdin)))' |
	sort >"$work/ctl-commands"
check "scaidial-ctl help lists the commands" test -s "$work/ctl-commands"
: >"$work/notify.mark"
n_before=$(wc -l <"$work/notify.log")
check "reload as the unit does (ExecReload=scaidial-ctl reload, as scaidial)" \
	setpriv --reuid=scaidial --regid=scaidial --init-groups /usr/bin/scaidial-ctl reload
check "reload: RELOADING=1 with MONOTONIC_USEC, then READY=1" \
	bash -c "sleep 0.3; tail -n +$((n_before + 1)) '$work/notify.log' | tr '\n' '|' |
		grep -Eq '^RELOADING=1 MONOTONIC_USEC=[0-9]+\|READY=1\|'"
# Two requests from a stranger on 127.0.0.1 (an OPTIONS from an address no trunk allows, an
# INVITE for a number the sample does not have): the SIP listener answers, and the refusal
# is logged in the form the shipped fail2ban filter matches (checked after the stop).
python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
for m, ruri in (("OPTIONS", "sip:probe@127.0.0.1"), ("INVITE", "sip:+19995550100@127.0.0.1")):
    msg = (m + " " + ruri + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKpkg%s;rport\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=pkg\r\nTo: <%s>\r\n"
           "Call-ID: pkg-%s@127.0.0.1\r\nCSeq: 1 %s\r\nContact: <sip:probe@127.0.0.1:%d>\r\n"
           "Content-Length: 0\r\n\r\n") % (port, m, ruri, m, m, port)
    s.sendto(msg.encode(), ("127.0.0.1", 5060))
    try:
        while True:
            first = s.recv(4096).decode(errors="replace").split("\r\n")[0]
            if not first.startswith("SIP/2.0 1"):
                break
    except socket.timeout:
        first = "timeout"
    print(m, first)
' >"$work/probe.out" 2>&1
# The sample has a desk phone (conf.d/30-extensions.conf): an INVITE from an address no
# trunk allows may be that phone dialling out, so it draws the digest challenge, the same
# for every number (doc/sip.md, "A desk phone dialling out").
check "SIP on 127.0.0.1:5060 answers: a stranger's OPTIONS gets 403, its INVITE the 407 challenge" \
	bash -c "cat '$work/probe.out'; grep -q '^OPTIONS SIP/2.0 403 ' '$work/probe.out' &&
		grep -q '^INVITE SIP/2.0 407 ' '$work/probe.out'"
kill -TERM "$dpid" 2>/dev/null
for _ in $(seq 300); do kill -0 "$runpid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$runpid" 2>/dev/null; then
	nok "SIGTERM stops the daemon within 30 s (TimeoutStopSec)"
	kill -KILL "$dpid" "$runpid" 2>/dev/null
	wait "$runpid" 2>/dev/null
else
	wait "$runpid"
	rc=$?
	check "SIGTERM stops the daemon within 30 s, exit status 0 (got $rc)" test "$rc" -eq 0
fi
check "SIGTERM: STOPPING=1 sent, 'main: stopped' logged" \
	bash -c "grep -q '^STOPPING=1' '$work/notify.log' && grep -q '^<6>main: stopped' '$work/daemon.log'"
check "the daemon made its database in /var/lib/scaidial, scaidial's, nothing for others" \
	bash -c 'stat -c "%U:%G %a" /var/lib/scaidial/scaidial.db && stat -c "%U:%G %a" /var/lib/scaidial/scaidial.db |
		grep -Eqx "scaidial:scaidial [67][0-7]0"'
# fail2ban's journal backend hands the filter "HOST IDENT[PID]: MESSAGE" with the entry's
# time; the same lines, built from the daemon's journal stream, go through the installed
# example filter.
if command -v fail2ban-regex >/dev/null; then
	sed -n "s/^<[0-7]>\(.*\)/$(date -u +%Y-%m-%dT%H:%M:%S) $(hostname) scaidial[$dpid]: \1/p" \
		"$work/daemon.log" >"$work/journal.txt"
	refused=$(grep -c ': sip: refused ' "$work/journal.txt")
	fail2ban-regex "$work/journal.txt" /usr/share/doc/scaidial/examples/fail2ban/filter.d/scaidial.conf \
		>"$work/f2b.out" 2>&1
	check "the installed fail2ban filter matches the $refused refusals, and nothing else" \
		bash -c "[ $refused -ge 1 ] && grep -Eq 'Lines: [0-9]+ lines, 0 ignored, $refused matched' '$work/f2b.out'"
else
	echo "fail2ban-regex missing: the installed filter is not tried" | diag
fi
kill "$npid" 2>/dev/null
wait "$npid" 2>/dev/null
[ -s "$nsdir/trace" ] && cp "$nsdir/trace" "$work/trace"
rm -rf "$nsdir" /run/scaidial
echo "sd_notify messages:" | diag
diag <"$work/notify.log"
cp "$work/daemon.log" "$work/notify.log" "$PKG_OUT/"

# The sandbox, against the trace of that run: what the unit allows must cover what it did.
if [ ${#tracer[@]} -gt 0 ] && [ -s "$work/trace" ]; then
	cp "$work/trace" "$PKG_OUT/daemon.strace"
	# A syscall group of systemd-analyze, expanded recursively into names.
	sc_group() {
		systemd-analyze syscall-filter "$1" 2>/dev/null | awk '/^@/ { next } /^ +[^#]/ { print $1 }' |
			while read -r x; do case $x in @*) sc_group "$x" ;; *) echo "$x" ;; esac; done
	}
	sc_group @system-service | sort -u >"$work/sc-allowed"
	{ sc_group @privileged; sc_group @resources; } | sort -u >"$work/sc-denied"
	sed -nE 's/^[0-9]+ +([a-z_0-9]+)\(.*/\1/p' "$work/trace" | sort -u >"$work/sc-used"
	echo "system calls made: $(tr '\n' ' ' <"$work/sc-used")" | diag
	check "strace: every system call is in SystemCallFilter=@system-service ~@privileged @resources" \
		bash -c "[ -s '$work/sc-allowed' ] && [ -s '$work/sc-used' ] &&
			comm -23 '$work/sc-used' '$work/sc-allowed' | sed 's/^/not allowed: /' | grep . && exit 1
			comm -12 '$work/sc-used' '$work/sc-denied' | sed 's/^/denied: /' | grep . && exit 1; exit 0"
	families=$(sed -n 's/^RestrictAddressFamilies=//p' "$unit")
	check "strace: every socket family is in RestrictAddressFamilies ($families)" \
		bash -c "for f in \$(grep -Eo ' socket\\(AF_[A-Z0-9]+' '$work/trace' | sed 's/.*(//' | sort -u); do
			[[ ' $families ' == *\" \$f \"* ]] || { echo \"family \$f\"; exit 1; }; done"
	check "strace: no writable and executable mapping (MemoryDenyWriteExecute)" \
		bash -c "! grep -E '(mmap|mprotect|pkey_mprotect)\\(.*PROT_WRITE\\|PROT_EXEC|PROT_EXEC\\|PROT_WRITE' '$work/trace'"
	# Files opened for writing, made, renamed or removed: only in the unit's writable paths.
	check "strace: writes only in /var/lib/scaidial, /var/spool/scaidial, /run/scaidial, /tmp" \
		bash -c "grep -E ' (openat\\(AT_FDCWD, \"[^\"]*\", [^)]*(O_WRONLY|O_RDWR|O_CREAT)|(mkdir|unlink|rename|rmdir)(at2?)?\\()' '$work/trace' |
			grep -o '\"/[^\"]*\"' | tr -d '\"' | sort -u |
			grep -Ev '^(/var/lib/scaidial|/var/spool/scaidial|/run/scaidial|/tmp)(/|\$)|^/dev/null\$|^/proc/self/task/[0-9]+/comm\$' && exit 1; exit 0"
fi

# --- bash completion --------------------------------------------------------------------
comp() {
	bash -c '. /usr/share/bash-completion/completions/scaidial-ctl
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_scaidial_ctl; echo "${COMPREPLY[*]}"' comp "$@"
}
c=$(comp scaidial-ctl st 2>&1)
check "completion: scaidial-ctl st<TAB> -> status" test "$c" = status
c=$(comp scaidial-ctl "" 2>&1)
check "completion: the commands offered are exactly the daemon's (scaidial-ctl help)" \
	bash -c "[ -s '$work/ctl-commands' ] && diff <(tr ' ' '\n' <<<'$c' | sort) '$work/ctl-commands'"
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
