#!/usr/bin/env bash
# quickstart.sh: the README's first command. Installs what is missing, builds scaidial,
# starts a LiveKit dev server on 127.0.0.1:7880 and runs the daemon in the foreground on
# the sample configuration, with all state under ./_run (database, spool, control socket).
# Ctrl-C stops both.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

contrib/dev/deps.sh build
livekit=$(contrib/dev/deps.sh run | tail -n 1)

[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure --enable-werror
make -j"$(nproc)"

# A copy of etc/ whose state paths point into _run/ (relative paths in general are read
# from the main file's directory). Edit _run/etc/*.conf to watch it reload.
if [ ! -f _run/etc/scaidial.conf ]; then
	mkdir -p _run/state _run/spool/greetings
	cp data/greeting.wav _run/spool/greetings/1001.wav
	cp -r etc _run/etc
	rm -f _run/etc/etc.am
	sed -i -e 's|"/var/lib/scaidial/scaidial.db"|"../state/scaidial.db"|' \
	    -e 's|"/var/spool/scaidial"|"../spool"|' \
	    -e 's|"/run/scaidial/ctl.sock"|"../ctl.sock"|' \
	    -e 's|^general: {|general: {\n  voicemail_greeting = "../../data/greeting.wav";|' \
	    -e 's|"udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"|"udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"|' \
	    _run/etc/scaidial.conf
fi

"$livekit" --dev --bind 127.0.0.1 >_run/livekit.log 2>&1 &
lk_pid=$!
trap 'kill $lk_pid 2>/dev/null || true' EXIT
echo "quickstart: LiveKit dev server on ws://127.0.0.1:7880 (log: _run/livekit.log)"
echo "quickstart: try  ./scaidial-ctl -s _run/ctl.sock status   and edit _run/etc/conf.d/*.conf"
./scaidial -f -c _run/etc/scaidial.conf
