#!/bin/sh
# Transfer from the room (issue 6): a participant publishes {"to": ...} on the
# scaidial.transfer topic and the caller is REFERred to the carrier (NOTIFY 200 ends the
# call as transferred); scaidial-ctl transfer --method bridge calls the target through the
# trunk (407 digest, 200) and connects the caller, who leaves the room; a target outside
# outbound_allow is refused. Against livekit-server, LiveKit's Python SDK and sipp.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 170

SIPP_DIR=$TOP_SRCDIR/tests/integration/sipp
. "$TOP_SRCDIR/tests/integration/lk-lib.sh"
lk_need sipp sox sqlite3
cd "$T" || exit 1
CARRIER=127.0.0.3
SECRET=xfer-secret
DB=$T/state/scaidial.db
TARGET_PORT=$(free_port)
lk_start_server || { not_ok "livekit-server starts"; done_testing; }
lk_start_webhooks "$SECRET" || { not_ok "webhook receiver starts"; done_testing; }
sox -n -r 8000 -c 1 -e u-law "$T/tone.wav" synth 30 sine 1000
write_config
cat >"$T/etc/scaidial.conf" <<EOF
general: {
  sip_listen = [ "udp:127.0.0.1:$SIP_PORT" ];
  database = "$DB"; spool_dir = "$T/spool"; control_socket = "$T/ctl.sock";
  log_level = "debug"; rtp_ports = [ 39000, 39999 ];
};
livekit: { url = "$LK_URL"; api_key = "$LK_KEY"; api_secret = "$LK_SECRET"; };
webhooks: { secret = "$SECRET"; wave_ring = "$HOOK/ok"; };
tenants = ( { id = "acme"; name = "Acme"; policy = { outbound_allow = [ "+1555999*" ]; }; } );
trunks = ( { id = "peer1"; tenant = "acme"; mode = "peer"; address = "sip:$CARRIER:$TARGET_PORT";
    allowed_addresses = [ "$CARRIER/32" ]; username = "acmeuser"; password = "s3cret";
    codecs = [ "PCMU" ]; } );
dids = ( { number = "+15551230001"; trunk = "peer1"; dialplan = "wave"; } );
extensions = ( { id = "1001"; tenant = "acme"; type = "wave"; user = "alice@acme"; } );
dialplans = ( { id = "wave"; tenant = "acme"; rules = ( { priority = 10;
    action = "ring_extension"; extension = "1001"; timeout = 20; on_no_answer = "hangup"; } ); } );
EOF
start_daemon || { not_ok "daemon starts"; done_testing; }

nrings() { local n; n=$(grep -c '"event": "call.ringing"' "$T/events.jsonl" 2>/dev/null); echo "${n:-0}"; }
# peer NAME N [lk_peer args]: waits for call.ringing number N+1, joins with its token.
peer() {
	local name=$1 n=$2
	shift 2
	wait_until 10 sh -c "[ \$(grep -c '\"event\": \"call.ringing\"' '$T/events.jsonl' 2>/dev/null) -gt $n ]" || return 1
	timeout 60 "$LK_PY" "$TOP_SRCDIR/tests/integration/lk_peer.py" peer \
	    "$LK_URL" "$(lk_event token call.ringing)" --tone 600 \
	    --from sip_+15557770001 --timeout 40 "$@" >"$T/peer-$name.log" 2>&1
}
q() { sqlite3 "$DB" "$1"; }
call_of() { q "select id from calls where caller = '$1' order by started_ms desc limit 1"; }

# ---- 1. A participant asks for a transfer with a data message: REFER to the carrier.
# The carrier's caller is uac_refer with a tone, and a 180 allowed before the answer.
sed -e "s/@TARGET@/sip:\\\\+15559990001@$CARRIER/g; s|@FRAG@|SIP/2.0 200 OK|g" \
    -e '/<recv response="100" optional="true"\/>/a\  <recv response="180" optional="true"/>' \
    -e "/<recv request=\"REFER\">/i\\  <nop><action><exec rtp_stream=\"$T/tone.wav,1,0\"/></action></nop>" \
    "$SIPP_DIR/uac_refer.xml" >"$T/refer.xml"
n=$(nrings)
sipp 127.0.0.1:"$SIP_PORT" -i $CARRIER -p "$(free_port)" -mp "$(free_port)" -sf "$T/refer.xml" \
    -s +15551230001 -set from +15557770001 -m 1 -timeout 40 -timeout_error >"$T/sipp-1.out" 2>&1 &
SIPP_BG=$!
if peer refer "$n" --data 'scaidial.transfer={"to": "+15559990001"}'; then
	ok "the agent hears the caller and asks for a transfer on scaidial.transfer"; else
	not_ok "the agent hears the caller and asks for a transfer"; diag "$(tail -n 5 "$T/peer-refer.log")"; fi
if wait "$SIPP_BG"; then ok "the carrier got REFER to sip:+15559990001@carrier, said 200 in NOTIFY, got BYE"; else
	not_ok "the carrier got REFER, NOTIFY 200, BYE"; diag "$(tail -n 8 "$T/sipp-1.out")"; fi
CALL=$(call_of +15557770001)
wait_until 5 sh -c "sqlite3 '$DB' \"select cause from calls where id = '$CALL'\" | grep -q ."
is "$(q "select cause from calls where id = '$CALL'")" "transferred" "the call ended as transferred"
is "$(q "select group_concat(kind || ':' || identity || ':' || ifnull(cause, ''), ' ') from (select * from call_legs where call_id = '$CALL' and kind != 'sip' order by kind)")" \
    "forward:sip:+15559990001@$CARRIER:$TARGET_PORT:referred wave:alice@acme:transferred" \
    "the legs: the transfer target (referred) and the agent"
check "the agent sees the caller go" grep -Eq "peer: (sip_\\+15557770001 left|room closed)" "$T/peer-refer.log"

# ---- 2. scaidial-ctl transfer by bridge: refused for a number outside outbound_allow,
# then carried out: the target (sipp: 407, 180, 200) is called through the trunk and the
# caller, who leaves the room, is connected to it; the target's BYE ends the call.
sed -e "s|@TONE@|$T/tone.wav|g; s/@USER@/acmeuser/g; s/@WAIT@/3000/g; s/@END@/bye/g" \
    "$SIPP_DIR/uas_fwd_auth.xml" >"$T/target.xml"
sipp -sf "$T/target.xml" -i $CARRIER -p "$TARGET_PORT" -mp "$(free_port)" -m 1 -timeout 40 \
    -timeout_error >"$T/target.out" 2>&1 &
TARGET_BG=$!
sed -e "s/@PT@/0/g; s/@CODEC@/PCMU/g; s|@TONE@|$T/tone.wav|g; s/@WAIT@/1000/g" \
    "$SIPP_DIR/uac_voicemail.xml" >"$T/uac.xml"
n=$(nrings)
sipp 127.0.0.1:"$SIP_PORT" -i $CARRIER -p "$(free_port)" -mp "$(free_port)" -sf "$T/uac.xml" \
    -s +15551230001 -set from +15557770001 -m 1 -timeout 40 -timeout_error >"$T/sipp-2.out" 2>&1 &
SIPP_BG=$!
peer bridge "$n" --stay 20 &
PEER_BG=$!
wait_until 20 grep -q "peer: heard" "$T/peer-bridge.log"
CALL=$(call_of +15557770001)
if "$SCAIDIAL_CTL" -s "$T/ctl.sock" transfer "$CALL" --to +442079460000 --method bridge >"$T/x.out" 2>&1; then
	not_ok "a transfer outside outbound_allow is refused"; else
	like "$(cat "$T/x.out")" "not allowed for tenant acme" "a transfer outside outbound_allow is refused, with the reason"; fi
if "$SCAIDIAL_CTL" -s "$T/ctl.sock" transfer "$CALL" --to +15559990002 --method bridge >"$T/x.out" 2>&1; then
	ok "scaidial-ctl transfer --method bridge is accepted"; else
	not_ok "scaidial-ctl transfer --method bridge is accepted"; diag "$(cat "$T/x.out")"; fi
if wait "$TARGET_BG"; then ok "the target was called (407, digest, 180, 200) and hung up"; else
	not_ok "the target was called and hung up"; diag "$(tail -n 8 "$T/target.out")"; fi
if wait "$SIPP_BG"; then ok "the caller got BYE when the target hung up"; else
	not_ok "the caller got BYE when the target hung up"; diag "$(tail -n 8 "$T/sipp-2.out")"; fi
wait "$PEER_BG"
check "the agent saw the caller leave the room at the transfer" \
    grep -Eq "peer: (sip_\\+15557770001 left|room closed)" "$T/peer-bridge.log"
wait_until 5 sh -c "sqlite3 '$DB' \"select cause from calls where id = '$CALL'\" | grep -q ."
is "$(q "select group_concat(kind || ':' || (answered_ms > 0), ' ') from (select * from call_legs where call_id = '$CALL' order by kind)")" \
    "forward:1 sip:1 wave:1" "the legs: the target (answered), the caller and the agent"
stop_daemon
is "$STOP_RC" 0 "the daemon stops cleanly"
done_testing
