#!/usr/bin/env bash
# setup-livekit-sip.sh: installs what bench/run-bridge.sh needs to measure livekit-sip, LiveKit's
# own SIP bridge, beside scaidial: redis-server (livekit-sip and livekit-server talk through
# it), the cgo libraries livekit-sip links (opus, opusfile, soxr), and livekit-sip itself,
# built with the machine's Go into $(go env GOPATH)/bin/livekit-sip. Called by
# `contrib/dev/deps.sh bench`; run as root (or with sudo available).
#
# Which version: the Go module proxy refuses (403) github.com/livekit/sip's version list and
# its newest tags (v1.9.0 and later), so `go install ...@version` fails on its deprecation
# check; v1.8.0 (2026-07-22) is served. Its zip is fetched with `go mod download` and built
# from the module cache under the module's own go.mod and go.sum (needs Go >= 1.26, which
# GOTOOLCHAIN can fetch through the proxy when the installed Go is older).
set -euo pipefail
LIVEKIT_SIP_VERSION=${LIVEKIT_SIP_VERSION:-v1.8.0}
pkgs=(redis-server libopus-dev libopusfile-dev libsoxr-dev pkg-config)

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup-livekit-sip: installing ${missing[*]}" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
bin=$($GO env GOPATH)/bin
if [ -x "$bin/livekit-sip" ] && [ -z "${FORCE:-}" ]; then
	echo "$bin/livekit-sip"
	exit 0
fi
echo "setup-livekit-sip: building livekit-sip $LIVEKIT_SIP_VERSION (a few minutes)" >&2
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.26.8}
dir=$($GO mod download -json "github.com/livekit/sip@$LIVEKIT_SIP_VERSION" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
mkdir -p "$bin"
(cd "$dir" && GOFLAGS=-mod=mod $GO build -trimpath -o "$bin/livekit-sip" ./cmd/livekit-sip) >&2
echo "$bin/livekit-sip"
