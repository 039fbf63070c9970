#!/usr/bin/env bash
# deps.sh [build|test|run|bench]: installs what this Debian 12 machine lacks to build scaidial
# (build), to run its whole test suite (test), to run it beside a LiveKit dev server
# (run), or to run the benchmarks, livekit-sip included (bench: test + bench/setup-livekit-sip.sh). Only missing packages are installed; run as root or with sudo available.
set -euo pipefail

what=${1:-build}
build_pkgs=(build-essential autoconf automake libtool pkg-config
	libconfig-dev libsofia-sip-ua-dev libsrtp2-dev libopus-dev libsqlite3-dev sqlite3
	libcurl4-openssl-dev libssl-dev libsystemd-dev libjson-c-dev libspandsp-dev
	libnice-dev libsoup-3.0-dev libprotobuf-c-dev protobuf-c-compiler libusrsctp-dev)
test_pkgs=(clang libclang-rt-14-dev valgrind socat jq python3 python3-venv tzdata sip-tester sipvicious fail2ban openssl sox baresip-core
	debhelper dpkg-dev fakeroot lintian systemd strace iproute2 chromium)

pkgs=("${build_pkgs[@]}")
case $what in
build) ;;
test | bench) pkgs+=("${test_pkgs[@]}") ;;
run) ;;
*) echo "usage: $0 build|test|run|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

# A Go that can fetch the 1.26 toolchain from the module proxy (GOTOOLCHAIN needs >= 1.21;
# Debian 12's golang-go is 1.19, bookworm-backports has newer ones).
find_go() {
	local g
	for g in go /usr/local/go/bin/go /usr/lib/go-1.23/bin/go /usr/lib/go-1.22/bin/go; do
		command -v "$g" >/dev/null 2>&1 || continue
		"$g" version | grep -Eq 'go1\.(2[1-9]|[3-9][0-9])' && { echo "$g"; return 0; }
	done
	return 1
}

# livekit-server from the Go module proxy; v1.13.5 is the newest tag that `go install`
# accepts (1.13.0/1.13.1 and master carry replace directives) and needs Go >= 1.26.
# The tests (test) and the quick start (run) both need it.
install_livekit() {
	local bin
	LIVEKIT_VERSION=v1.13.5
	GO=$(find_go) || {
		echo "deps: adding bookworm-backports for a Go >= 1.21" >&2
		echo "deb http://deb.debian.org/debian bookworm-backports main" |
			$sudo tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -t bookworm-backports \
			golang-1.23-go >/dev/null
		GO=$(find_go)
	}
	bin=$($GO env GOPATH)/bin
	if [ ! -x "$bin/livekit-server" ]; then
		echo "deps: building livekit-server $LIVEKIT_VERSION (takes a few minutes)" >&2
		GOTOOLCHAIN=go1.26.8 GOBIN=$bin $GO install \
			"github.com/livekit/livekit-server/cmd/server@$LIVEKIT_VERSION" >&2
		mv "$bin/server" "$bin/livekit-server"
	fi
	echo "$bin/livekit-server"
}

# LiveKit's own Python SDKs, the browser/bot participant of the tests, in a venv of their
# own (tests/integration/lib.sh finds it at the same place).
install_pyvenv() {
	local venv=${SCAIDIAL_TEST_HOME:-$HOME/.cache/scaidial-test}/venv
	if [ ! -x "$venv/bin/python3" ] || ! "$venv/bin/python3" -c 'import livekit.rtc, livekit.api, numpy, moto.server' 2>/dev/null; then
		echo "deps: installing the LiveKit Python SDKs into $venv" >&2
		python3 -m venv "$venv" >&2
		"$venv/bin/pip" install -q --disable-pip-version-check livekit livekit-api numpy aiohttp "moto[server]" >&2
	fi
}

# The softphone page's test (tests/integration/softphone.sh): puppeteer-core drives
# Debian's chromium, and livekit-client's browser build is served next to the page. Both
# from npm into the same place as the venv; a node from Debian when there is none.
install_softphone() {
	local home=${SCAIDIAL_TEST_HOME:-$HOME/.cache/scaidial-test} pup=24.10.0
	if ! command -v npm >/dev/null 2>&1; then
		echo "deps: installing nodejs and npm" >&2
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
			nodejs npm >/dev/null
	fi
	if [ "$(cat "$home/node/node_modules/puppeteer-core/package.json" 2>/dev/null |
	    sed -n 's/^  "version": "\(.*\)",$/\1/p')" != "$pup" ]; then
		echo "deps: installing puppeteer-core $pup into $home/node" >&2
		mkdir -p "$home/node"
		npm install --prefix "$home/node" --no-audit --no-fund --silent "puppeteer-core@$pup" >&2
	fi
	"$(dirname "$0")/../softphone/fetch-livekit-client.sh" "$home/livekit-client"
}

case $what in
run) install_livekit ;;
test) install_livekit >/dev/null; install_pyvenv; install_softphone ;;
bench) install_livekit >/dev/null; install_pyvenv
	"$(dirname "$0")/../../bench/setup-livekit-sip.sh" >/dev/null ;;
esac
