#!/bin/sh
# RFC 4475: the IETF's SIP torture messages, each sent over UDP and over TCP. The daemon
# must survive every one (this runs under ASan and valgrind in CI) and keep serving; where
# the answer comes back to us (TCP), it must be the one the RFC names.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 120

data=${SCAIDIAL_TESTDATA:-$TOP_SRCDIR/../shared/testdata}/rfc4475
if [ ! -f "$data/README.md" ]; then
	echo "1..0 # SKIP the RFC 4475 messages are not here ($data; set SCAIDIAL_TESTDATA)"
	exit 0
fi
probe() { python3 "$TOP_SRCDIR/tests/integration/sip_probe.py" "$@"; }

write_config
sed -i "s|sip_listen = \[ \"udp:127.0.0.1:$SIP_PORT\" \];|sip_listen = [ \"udp:127.0.0.1:$SIP_PORT\", \"tcp:127.0.0.1:$SIP_PORT\" ];|" "$T/etc/scaidial.conf"
start_daemon || { not_ok "daemon starts"; done_testing; }
to=127.0.0.1:$SIP_PORT

n=$(ls "$data"/*.dat | wc -l)
is "$n" 49 "49 torture messages"
probe raw --to "$to" "$data"/*.dat >"$T/udp.out" 2>&1
check "all 49 sent over UDP" [ "$(wc -l <"$T/udp.out")" -eq 49 ]
check "daemon survives them over UDP" daemon_alive
probe raw --tcp --to "$to" "$data"/*.dat >"$T/tcp.out" 2>&1
check "all 49 sent over TCP" [ "$(wc -l <"$T/tcp.out")" -eq 49 ]
check "daemon survives them over TCP" daemon_alive

# answer FILE STATUS: what came back over TCP for FILE (responses to other transports in
# a message's Via go there, so only some answers reach us).
answer() { grep "^$1.dat " "$T/tcp.out" | cut -d' ' -f2-; }
like "$(answer insuf)" "^SIP/2.0 400" "insuf (missing headers): 400"
like "$(answer unkscm)" "^SIP/2.0 416" "unkscm (unknown URI scheme): 416"
like "$(answer novelsc)" "^SIP/2.0 416" "novelsc (unknown scheme in To): 416"
like "$(answer multi01)" "^SIP/2.0 400" "multi01 (several single headers): 400"
like "$(answer mcl01)" "^SIP/2.0 400" "mcl01 (several Content-Length): 400"
like "$(answer badvers)" "^SIP/2.0 505" "badvers (SIP/7.0): 505"
like "$(answer ncl)" "^SIP/2.0 400" "ncl (negative Content-Length): 400"
like "$(answer scalar02)" "^SIP/2.0 400" "scalar02 (overlarge values): 400"

# Still serving: a trunk's OPTIONS is answered, a stranger's refused as ever.
like "$(probe ask --to "$to" OPTIONS keepalive)" "^SIP/2.0 200 OK" "OPTIONS still answered afterwards"
like "$(probe ask --to "$to" --from 127.0.0.2 INVITE +15551230001)" "^SIP/2.0 403 Forbidden" "and strangers still refused"
stop_daemon
is "$STOP_RC" 0 "the daemon stops cleanly afterwards"
done_testing
