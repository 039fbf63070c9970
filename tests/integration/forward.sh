#!/bin/sh
# forward by REFER with sipp as the carrier: the call is answered, REFER goes out with
# the target at the carrier, and the NOTIFY's sipfrag decides: 200 -> the call is handed
# over (BYE, cause forwarded, a forward leg recorded), 486 -> refer_failed.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 60

SIPP_DIR=$TOP_SRCDIR/tests/integration/sipp
command -v sipp >/dev/null 2>&1 || { not_ok "sipp is installed (contrib/dev/deps.sh test)"; done_testing; }
cd "$T" || exit 1
CARRIER=127.0.0.3
write_config
cat >"$T/etc/scaidial.conf" <<EOF
general: { sip_listen = [ "udp:127.0.0.1:$SIP_PORT" ]; database = "$T/state/scaidial.db";
  spool_dir = "$T/spool"; control_socket = "$T/ctl.sock"; log_level = "debug";
  rtp_ports = [ 34000, 34999 ]; };
tenants = ( { id = "acme"; name = "Acme"; policy = { outbound_allow = [ "+1*" ]; }; } );
trunks = ( { id = "peer1"; tenant = "acme"; mode = "peer"; address = "sip:$CARRIER:5070";
    allowed_addresses = [ "$CARRIER/32" ]; } );
dids = ( { number = "+15551230001"; trunk = "peer1"; dialplan = "fwd"; } );
dialplans = ( { id = "fwd"; tenant = "acme";
    rules = ( { priority = 10; action = "forward"; target = "+15557654321"; method = "refer"; } ); } );
EOF
start_daemon || { not_ok "daemon starts"; done_testing; }

# refer FRAG CALLER: the carrier accepts the REFER and reports FRAG in its NOTIFY.
refer() {
	sed -e 's/@TARGET@/sip:\\+15557654321@127\\.0\\.0\\.3:5070/' -e "s|@FRAG@|$1|" \
	    "$SIPP_DIR/uac_refer.xml" >"$T/refer.xml"
	sipp 127.0.0.1:"$SIP_PORT" -i $CARRIER -p "$(free_port)" -mp "$(free_port)" -sf "$T/refer.xml" \
	    -s +15551230001 -set from "$2" -m 1 -timeout 20 -timeout_error >"$T/sipp.out" 2>&1
}
# legs CALLER: kind:cause:status of each leg of CALLER's call, in order.
legs() {
	sqlite3 "$T/state/scaidial.db" "select group_concat(kind || ':' || ifnull(cause,'') || ':' || sip_status, ' ') from (select l.kind, l.cause, l.sip_status from call_legs l join calls c on c.id = l.call_id where c.caller = '$1' order by l.started_ms, l.kind desc)"
}
cause() { sqlite3 "$T/state/scaidial.db" "select cause from calls where caller = '$1'"; }

if refer "SIP/2.0 200 OK" +15557770001; then
	ok "answered, REFER with Refer-To sip:+15557654321@ the carrier, NOTIFY 200, then our BYE"; else
	not_ok "the REFER flow completes"; diag "$(tail -n 8 "$T/sipp.out")"; fi
wait_until 2 sh -c "[ -n \"\$(sqlite3 '$T/state/scaidial.db' \"select cause from calls where caller = '+15557770001'\")\" ]"
is "$(cause +15557770001)" "forwarded" "the call ends with cause forwarded"
is "$(legs +15557770001)" "sip:forwarded:0 forward:referred:200" "and has its SIP leg and a forward leg (referred, 200)"

if refer "SIP/2.0 486 Busy Here" +15557770002; then
	ok "a transfer that fails (NOTIFY 486) still ends the call with BYE"; else
	not_ok "a failed transfer ends the call with BYE"; diag "$(tail -n 8 "$T/sipp.out")"; fi
wait_until 2 sh -c "[ -n \"\$(sqlite3 '$T/state/scaidial.db' \"select cause from calls where caller = '+15557770002'\")\" ]"
is "$(cause +15557770002)" "refer_failed" "with cause refer_failed"
is "$(legs +15557770002)" "sip:refer_failed:0 forward:refer_failed:486" "the forward leg holds the 486"

check "daemon still running" daemon_alive
stop_daemon
is "$STOP_RC" 0 "the daemon stops cleanly"
done_testing
