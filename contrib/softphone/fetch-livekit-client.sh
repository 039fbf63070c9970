#!/bin/sh
# fetch-livekit-client.sh DIR: puts livekit-client's browser build (livekit-client.umd.js,
# the version pinned below) into DIR, where the softphone page loads it from. It comes
# from the npm registry through `npm pack`, so the repository carries no copy of it.
# Does nothing when DIR already holds that version (DIR/livekit-client.version).
set -eu

VERSION=2.23.0

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
mkdir -p "$dir"
if [ -f "$dir/livekit-client.umd.js" ] && [ "$(cat "$dir/livekit-client.version" 2>/dev/null)" = "$VERSION" ]; then
	exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "$0: npm is needed (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/livekit-client.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "livekit-client@$VERSION" >/dev/null)
tar -xzf "$tmp/livekit-client-$VERSION.tgz" -C "$tmp" package/dist/livekit-client.umd.js
# Its licence goes along with it.
tar -xzf "$tmp/livekit-client-$VERSION.tgz" -C "$tmp" package/LICENSE 2>/dev/null || true
cp "$tmp/package/dist/livekit-client.umd.js" "$dir/livekit-client.umd.js"
[ -f "$tmp/package/LICENSE" ] && cp "$tmp/package/LICENSE" "$dir/livekit-client.LICENSE"
echo "$VERSION" >"$dir/livekit-client.version"
echo "livekit-client $VERSION in $dir" >&2
