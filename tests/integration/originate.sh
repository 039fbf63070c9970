#!/bin/sh
# Click-to-call: `scaidial-ctl originate` against sipp as the carrier (407 challenge, 180,
# 200; or 486 / 503 / no answer) and baresip as a far-end phone, with the user joined to
# the room by LiveKit's Python SDK on the token originate returned. Checks: refusals come
# before any INVITE (unknown extension, a trunk of another tenant, a number outside
# outbound_allow), the digest answer, the far end's tone in the room and the room's tone
# and DTMF at the far end (by frequency / event), hang-ups both ways, causes and statuses
# in `scaidial-ctl call`, the call.ended event, the legs in the database.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 170

SIPP_DIR=$TOP_SRCDIR/tests/integration/sipp
. "$TOP_SRCDIR/tests/integration/lk-lib.sh"
lk_need sipp sox baresip sqlite3
cd "$T" || exit 1
CARRIER=127.0.0.3
PHONE=127.0.0.4
SECRET=orig-secret
DB=$T/state/scaidial.db
CARRIER_PORT=$(free_port)
PHONE_PORT=$(free_port)
lk_start_server || { not_ok "livekit-server starts"; done_testing; }
lk_start_webhooks "$SECRET" || { not_ok "webhook receiver starts"; done_testing; }

sox -n -r 8000 -c 1 -e u-law "$T/tone.wav" synth 20 sine 1000
sox -n -r 8000 -c 1 -b 16 "$T/tone-1000.wav" synth 20 sine 1000
write_config
cat >"$T/etc/scaidial.conf" <<EOF
general: {
  sip_listen = [ "udp:127.0.0.1:$SIP_PORT" ];
  database = "$DB"; spool_dir = "$T/spool"; control_socket = "$T/ctl.sock";
  log_level = "debug"; rtp_ports = [ 37000, 37999 ];
};
livekit: { url = "$LK_URL"; api_key = "$LK_KEY"; api_secret = "$LK_SECRET"; };
webhooks: { secret = "$SECRET"; call_events = "$HOOK/ok"; wave_ring = "$HOOK/ok"; };
tenants = ( { id = "acme"; name = "Acme"; policy = { outbound_allow = [ "+1555888*" ]; }; },
  { id = "other"; name = "Other"; } );
trunks = ( { id = "carrier"; tenant = "acme"; mode = "peer"; address = "sip:$CARRIER:$CARRIER_PORT";
    allowed_addresses = [ "$CARRIER/32" ]; username = "acmeuser"; password = "s3cret";
    codecs = [ "PCMU" ]; },
  { id = "phone"; tenant = "acme"; mode = "peer"; address = "sip:$PHONE:$PHONE_PORT";
    allowed_addresses = [ "$PHONE/32" ]; codecs = [ "PCMU" ]; },
  { id = "theirs"; tenant = "other"; mode = "peer"; address = "sip:$CARRIER:5060";
    allowed_addresses = [ "$CARRIER/32" ]; } );
dids = ( { number = "+15551230001"; trunk = "carrier"; dialplan = "hang"; } );
extensions = ( { id = "1001"; tenant = "acme"; type = "wave"; user = "alice@acme"; } );
dialplans = ( { id = "hang"; tenant = "acme"; rules = ( { priority = 10; action = "hangup"; } ); } );
EOF
start_daemon || { not_ok "daemon starts"; done_testing; }

q() { sqlite3 "$DB" "$1"; }
# orig ARGS...: scaidial-ctl --json originate; the JSON in $T/orig.json, the status back.
orig() { "$SCAIDIAL_CTL" -s "$T/ctl.sock" --json originate "$@" >"$T/orig.json" 2>"$T/orig.err"; }
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/orig.json" "$1"; }
# uas NAME SCENARIO [sed...]: sipp as the carrier for one call, in the background.
uas() {
	local name=$1 sc=$2
	shift 2
	sed -e "s|@TONE@|$T/tone.wav|g; s/@USER@/acmeuser/g; $*" "$SIPP_DIR/$sc.xml" >"$T/$name.xml"
	sipp -sf "$T/$name.xml" -i $CARRIER -p "$CARRIER_PORT" -mp "$(free_port)" -m 1 \
	    -timeout 40 -timeout_error -trace_msg -message_file "$T/$name.msg" >"$T/$name.out" 2>&1 &
	UAS_PID=$!
	# Listening before the INVITE goes: else the ICMP refusal is a transport_error.
	wait_until 10 sh -c "ss -Hlun 'sport = :$CARRIER_PORT' | grep -q ."
}
peer() {
	local name=$1
	shift
	timeout 60 "$LK_PY" "$TOP_SRCDIR/tests/integration/lk_peer.py" peer \
	    "$LK_URL" "$(field token)" --timeout 40 "$@" >"$T/peer-$name.log" 2>&1
}
heard() { sed -n 's/^peer: heard \([0-9]*\)\..*/\1/p' "$1" | head -n 1; }
near() { [ -n "$1" ] && [ $(($1 - $2)) -le 20 ] && [ $(($2 - $1)) -le 20 ]; }
ended() { wait_until 10 sh -c "sqlite3 '$DB' \"select cause from calls where id = '$1'\" | grep -q ."; }

# ---- refusals: nothing leaves, nothing is recorded.
if orig --extension 1001 --to +442079460000 --trunk carrier; then not_ok "a number outside outbound_allow is refused"; else
	like "$(cat "$T/orig.err")" "not allowed for tenant acme \\(policy outbound_allow\\)" "a number outside outbound_allow is refused, with the reason"; fi
if orig --extension 9999 --to +15558880001 --trunk carrier; then not_ok "an unknown extension is refused"; else
	like "$(cat "$T/orig.err")" "no extension '9999'" "an unknown extension is refused"; fi
if orig --extension 1001 --to +15558880001 --trunk theirs; then not_ok "another tenant's trunk is refused"; else
	like "$(cat "$T/orig.err")" "trunk theirs belongs to tenant other, not acme" "another tenant's trunk is refused"; fi
if orig --extension 1001 --to +15558880001; then not_ok "without a usable trunk originate is refused"; else
	like "$(cat "$T/orig.err")" "no trunk of tenant acme is available" "no trunk answering OPTIONS: refused, saying so"; fi
is "$(q "select count(*) from calls")" 0 "no call was recorded for the refusals"
check "no INVITE left for any of them" sh -c "! grep -q 'outbound leg: INVITE' '$T/daemon.log'"

# ---- 407, 180, 200 from sipp: the user joins, hears the carrier's 1000 Hz; the carrier
# hangs up.
uas a uas_fwd_auth "s/@WAIT@/12000/g; s/@END@/bye/g"
if orig --extension 1001 --to "+1(555)888-0001" --trunk carrier; then
	ok "originate answers: call $(field call_id)"; else
	not_ok "originate answers"; diag "$(cat "$T/orig.err")"; fi
CALL=$(field call_id)
is "$(field to) $(field from) $(field identity) $(field livekit_url)" \
    "+15558880001 +15551230001 alice@acme ws://127.0.0.1:$LK_PORT" "it returns the number, the caller ID, the user and the LiveKit URL"
like "$(field room)" "^call-$CALL$" "and the call's room"
if peer a --from sip_+15558880001 --tone 600; then ok "the user joins with the token"; else
	not_ok "the user joins with the token"; diag "$(tail -n 6 "$T/peer-a.log")"; fi
f=$(heard "$T/peer-a.log")
if near "$f" 1000; then ok "the user hears the far end's tone: $f Hz (want 1000)"; else
	not_ok "the user hears the far end's tone: '$f' Hz (want 1000)"; fi
check "the SIP participant's sip.callStatus is active" grep -q "sip.callStatus=active" "$T/peer-a.log"
if wait "$UAS_PID"; then ok "sipp: challenged with 407, the digest for acmeuser came, 180, 200, BYE from the carrier"; else
	not_ok "sipp: 407, digest, 180, 200, BYE"; diag "$(tail -n 8 "$T/a.out")"; fi
ended "$CALL"
is "$(q "select direction || ' ' || action || ' ' || cause || ' ' || (answered_ms > 0) from calls where id = '$CALL'")" \
    "outbound originate callee_bye 1" "recorded: outbound, answered, ended by the carrier"
# The daemon's log, in its own order: the command was answered before the carrier's 200
# (which comes after a 407 round and a 180): it did not wait for the call.
l_ok=$(grep -n "ctl: call $CALL originated" "$T/daemon.log" | head -n 1 | cut -d: -f1)
l_200=$(grep -n "call $CALL: outbound leg: answered" "$T/daemon.log" | head -n 1 | cut -d: -f1)
if [ -n "$l_ok" ] && [ -n "$l_200" ] && [ "$l_ok" -lt "$l_200" ]; then
	ok "originate answered before the carrier did"; else
	not_ok "originate answered before the carrier did (log lines '$l_ok' '$l_200')"; fi
is "$(q "select group_concat(kind || ':' || (answered_ms > 0) || ':' || (ended_ms > 0), ' ') from (select * from call_legs where call_id = '$CALL' order by kind)")" \
    "sip:1:1 wave:1:1" "two legs, the SIP one and the user's, both answered and ended"
check "the Proxy-Authorization answered the carrier's realm" grep -q 'Proxy-Authorization: Digest .*realm="carrier.test"' "$T/a.msg"

# ---- failures: 486, 503, no answer.
for st in 486:busy 503:unavailable; do
	code=${st%%:*}
	uas f$code uas_fwd_fail "s/@STATUS@/$code/g; s/@PHRASE@/Refused/g"
	orig --extension 1001 --to +15558880001 --trunk carrier
	CALL=$(field call_id)
	ended "$CALL"
	is "$(q "select cause || ' ' || sip_status from calls where id = '$CALL'")" "${st#*:} $code" "a $code ends the call: cause ${st#*:}, status $code"
	wait "$UAS_PID"
done
like "$("$SCAIDIAL_CTL" -s "$T/ctl.sock" call "$CALL")" "unavailable" "scaidial-ctl call shows why"
check "call.ended carries the cause" grep -qF '\"cause\":\"unavailable\",\"sip_status\":503' "$T/events.jsonl"
uas na uas_fwd_noanswer
orig --extension 1001 --to +15558880001 --trunk carrier --timeout 2
CALL=$(field call_id)
ended "$CALL"
is "$(q "select cause || ' ' || sip_status from calls where id = '$CALL'")" "timeout 408" "no answer in 2 s: CANCEL, cause timeout"
if wait "$UAS_PID"; then ok "sipp saw the CANCEL"; else not_ok "sipp saw the CANCEL"; diag "$(tail -n 5 "$T/na.out")"; fi

# ---- baresip as the far end: audio both ways, the user's DTMF, the user hangs up.
d=$T/bs
mkdir -p "$d"
cat >"$d/config" <<EOF
module_path /usr/lib/baresip/modules
poll_method epoll
net_interface $PHONE
sip_listen $PHONE:$PHONE_PORT
rtp_ports 38000-38999
audio_source aufile,$T/tone-1000.wav
audio_player alsa,null
audio_alert alsa,null
snd_path $d
module g711.so
module aufile.so
module alsa.so
module sndfile.so
module_tmp uuid.so
module_tmp account.so
module_app menu.so
EOF
echo "<sip:+15558880002@$PHONE>;regint=0;answermode=auto;audio_codecs=PCMU" >"$d/accounts"
: >"$d/contacts"
timeout 40 baresip -f "$d" -s -t 30 </dev/null >"$T/baresip.log" 2>&1 &
BS_PID=$!
wait_until 10 grep -q "baresip is ready" "$T/baresip.log"
orig --extension 1001 --to +15558880002 --trunk phone
CALL=$(field call_id)
if peer b --from sip_+15558880002 --tone 600 --dtmf 7 --stay 3; then ok "the user talks to a phone"; else
	not_ok "the user talks to a phone"; diag "$(tail -n 6 "$T/peer-b.log")"; fi
f=$(heard "$T/peer-b.log")
if near "$f" 1000; then ok "the user hears the phone: $f Hz (want 1000)"; else
	not_ok "the user hears the phone: '$f' Hz (want 1000)"; fi
ended "$CALL"
is "$(q "select cause from calls where id = '$CALL'")" "room_empty" "the user left: the phone gets BYE (cause room_empty)"
wait_until 5 grep -q "terminated" "$T/baresip.log"
got=$(python3 "$TOP_SRCDIR/tests/integration/wavfreq.py" "$(ls "$d"/*dec*.wav 2>/dev/null | head -n 1)" 2>/dev/null)
f=${got% *}
if near "$f" 600; then ok "the phone hears the user: $f Hz (want 600)"; else
	not_ok "the phone hears the user: '$got' (want 600 Hz)"; diag "$(tail -n 5 "$T/baresip.log")"; fi
check "the user's SipDTMF '7' reaches the phone as RFC 4733" grep -q "received event: '7' (end=1)" "$T/baresip.log"
kill "$BS_PID" 2>/dev/null
stop_daemon
is "$STOP_RC" 0 "the daemon stops cleanly"
done_testing
