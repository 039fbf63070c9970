#!/bin/sh
# The LiveKit leg end to end: a carrier's call to a DID whose rule rings a wave user (sipp)
# or a bot (baresip) lands in a room on a real livekit-server; the receiver of call.ringing
# / bot.kickoff joins with the token it got, using LiveKit's Python SDK; the call is
# answered then, and the tones cross both ways (checked by frequency on each side), DTMF
# crosses both ways (RFC 4733 -> SipDTMF, SipDTMF -> RFC 4733), sip.callStatus follows the
# call, hang-ups on either side tear everything down, and the database holds the legs.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 170

SIPP_DIR=$TOP_SRCDIR/tests/integration/sipp
. "$TOP_SRCDIR/tests/integration/lk-lib.sh"
lk_need sipp sox baresip sqlite3
cd "$T" || exit 1
CARRIER=127.0.0.3
SECRET=bridge-secret
DB=$T/state/scaidial.db
lk_start_server || { not_ok "livekit-server starts"; done_testing; }
lk_start_webhooks "$SECRET" || { not_ok "webhook receiver starts"; done_testing; }

sox -n -r 8000 -c 1 -e u-law "$T/tone.wav" synth 10 sine 1000
sox -n -r 8000 -c 1 -b 16 "$T/tone-1000.wav" synth 20 sine 1000
write_config
cat >"$T/etc/scaidial.conf" <<EOF
general: {
  sip_listen = [ "udp:127.0.0.1:$SIP_PORT" ];
  database = "$DB"; spool_dir = "$T/spool"; control_socket = "$T/ctl.sock";
  log_level = "debug"; rtp_ports = [ 35000, 35999 ];
};
livekit: { url = "$LK_URL"; api_key = "$LK_KEY"; api_secret = "$LK_SECRET"; };
webhooks: { secret = "$SECRET"; wave_ring = "$HOOK/ok"; bot_kickoff = "$HOOK/ok"; };
tenants = ( { id = "acme"; name = "Acme"; } );
trunks = ( { id = "peer1"; tenant = "acme"; mode = "peer"; address = "sip:$CARRIER:5060";
    allowed_addresses = [ "$CARRIER/32" ]; codecs = [ "PCMU", "PCMA" ]; } );
dids = ( { number = "+15551230001"; trunk = "peer1"; dialplan = "wave"; },
  { number = "+15551230002"; trunk = "peer1"; dialplan = "bot"; } );
extensions = (
  { id = "1001"; tenant = "acme"; type = "wave"; user = "alice@acme"; },
  { id = "2001"; tenant = "acme"; type = "bot"; bot = "42"; } );
dialplans = (
  { id = "wave"; tenant = "acme"; rules = ( { priority = 10; action = "ring_extension";
      extension = "1001"; timeout = 20; on_no_answer = "hangup"; } ); },
  { id = "bot"; tenant = "acme"; rules = ( { priority = 10; action = "ring_extension";
      extension = "2001"; timeout = 20; on_no_answer = "hangup"; } ); }
);
EOF
start_daemon || { not_ok "daemon starts"; done_testing; }

# peer NAME EVENT TONE FROM [lk_peer args]: waits for EVENT, joins its room with its token.
peer() {
	local name=$1 ev=$2 tone=$3 from=$4
	shift 4
	wait_until 10 grep -q "\"event\": \"$ev\"" "$T/events.jsonl" || return 1
	timeout 60 "$LK_PY" "$TOP_SRCDIR/tests/integration/lk_peer.py" peer \
	    "$LK_URL" "$(lk_event token "$ev")" --tone "$tone" --from "$from" \
	    --timeout 40 "$@" >"$T/peer-$name.log" 2>&1
}
# heard LOG: the frequency a peer heard, rounded.
heard() { sed -n 's/^peer: heard \([0-9]*\)\..*/\1/p' "$1" | head -n 1; }
near() { [ -n "$1" ] && [ $(($1 - $2)) -le 20 ] && [ $(($2 - $1)) -le 20 ]; }
q() { sqlite3 "$DB" "$1"; }

# ---- 1. sipp rings the wave user; the user answers from the room, hears the caller's
# 1000 Hz and its '#', and leaves: scaidial hangs up on the caller (BYE).
sed -e "s/@PT@/0/g; s/@CODEC@/PCMU/g; s|@TONE@|$T/tone.wav|g; s/@WAIT@/4000/g" \
    "$SIPP_DIR/uac_voicemail.xml" >"$T/uac.xml"
sipp 127.0.0.1:"$SIP_PORT" -i $CARRIER -p "$(free_port)" -mp "$(free_port)" -sf "$T/uac.xml" \
    -s +15551230001 -set from +15557770001 -m 1 -timeout 60 -timeout_error -trace_msg \
    -message_file "$T/uac.msg" >"$T/sipp-1.out" 2>&1 &
SIPP_BG=$!
if peer wave call.ringing 600 sip_+15557770001 --stay 4; then
	ok "the wave user joins with the call.ringing token and hears the caller"; else
	not_ok "the wave user joins with the call.ringing token and hears the caller"
	diag "$(tail -n 8 "$T/peer-wave.log")"; fi
f=$(heard "$T/peer-wave.log")
if near "$f" 1000; then ok "the room hears the caller's tone: $f Hz (want 1000)"; else
	not_ok "the room hears the caller's tone: '$f' Hz (want 1000)"; fi
check "the caller's '#' (RFC 4733) reaches the room as SipDTMF" \
    grep -q "peer: dtmf # code 11 from sip_+15557770001" "$T/peer-wave.log"
check "the caller's participant shows sip.phoneNumber and sip.callStatus=active" \
    grep -Eq "peer: (sees|attributes) sip_\\+15557770001 .*sip.callStatus=active.*sip.phoneNumber=\\+15557770001" "$T/peer-wave.log"
if wait "$SIPP_BG"; then ok "the caller got 180, 200, and a BYE when the user left"; else
	not_ok "the caller got 180, 200, and a BYE when the user left"; diag "$(tail -n 5 "$T/sipp-1.out")"; fi
check "the caller heard 180 Ringing before the answer" grep -q "SIP/2.0 180 Ringing" "$T/uac.msg"
wait_until 5 sh -c "sqlite3 '$DB' \"select cause from calls where caller = '+15557770001'\" | grep -q ."
is "$(q "select cause || ' ' || (answered_ms > 0) from calls where caller = '+15557770001'")" \
    "room_empty 1" "the call was answered and ended when the room emptied (room_empty)"
legs() { q "select group_concat(kind || ':' || (case kind when 'sip' then 'carrier' else identity end) || ':' || (answered_ms > 0) || ':' || (ended_ms >= answered_ms) || ':' || cause, ' ') from (select * from call_legs where call_id = (select id from calls where caller = '$1') order by kind)"; }
is "$(legs +15557770001)" "sip:carrier:1:1:room_empty wave:alice@acme:1:1:left" \
    "the legs: the SIP caller and the wave user, answered and ended"
room=$(lk_event room call.ringing)
room_gone() { case " $(lk_rooms) " in *" $room "*) return 1;; esac; }
if wait_until 5 room_gone; then ok "the room is deleted"; else not_ok "the room is deleted"; fi

# ---- 2. baresip rings the bot; the bot answers, each hears the other's tone, the bot's
# '5' reaches the phone as RFC 4733, and the phone hangs up: the room goes.
d=$T/bs
mkdir -p "$d"
cat >"$d/config" <<EOF
module_path /usr/lib/baresip/modules
poll_method epoll
net_interface $CARRIER
sip_listen $CARRIER:$(free_port)
rtp_ports 36000-36999
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
echo "<sip:+15557770002@$CARRIER>;regint=0;audio_codecs=PCMU" >"$d/accounts"
: >"$d/contacts"
timeout 30 baresip -f "$d" -s -t 15 -e "/dial sip:+15551230002@127.0.0.1:$SIP_PORT
" </dev/null >"$T/baresip.log" 2>&1 &
BS_BG=$!
if peer bot bot.kickoff 600 sip_+15557770002 --dtmf 5; then
	ok "the bot joins with the bot.kickoff token and hears the caller"; else
	not_ok "the bot joins with the bot.kickoff token and hears the caller"
	diag "$(tail -n 8 "$T/peer-bot.log")"; fi
f=$(heard "$T/peer-bot.log")
if near "$f" 1000; then ok "the bot hears the phone's tone: $f Hz (want 1000)"; else
	not_ok "the bot hears the phone's tone: '$f' Hz (want 1000)"; fi
check "the bot sees the phone hang up (the SIP participant leaves, or the room closes)" \
    grep -Eq "peer: (sip_\+15557770002 left|room closed)" "$T/peer-bot.log"
wait "$BS_BG"
# sndfile writes what the phone decoded (heard) as dump-...-dec.wav.
got=$(python3 "$TOP_SRCDIR/tests/integration/wavfreq.py" "$(ls "$d"/*dec*.wav 2>/dev/null | head -n 1)" 2>/dev/null)
f=${got% *}
if near "$f" 600; then ok "the phone hears the bot's tone: $f Hz (want 600)"; else
	not_ok "the phone hears the bot's tone: '$got' (want 600 Hz)"; diag "$(tail -n 8 "$T/baresip.log")"; fi
check "the bot's SipDTMF '5' reaches the phone as RFC 4733" grep -q "received event: '5' (end=1)" "$T/baresip.log"
wait_until 5 sh -c "sqlite3 '$DB' \"select cause from calls where caller = '+15557770002'\" | grep -q ."
is "$(q "select cause || ' ' || (answered_ms > 0) from calls where caller = '+15557770002'")" \
    "caller_bye 1" "the call was answered and ended by the phone's BYE"
is "$(legs +15557770002)" "bot:bot-42:1:1:caller_bye sip:carrier:1:1:caller_bye" \
    "the legs: the bot and the SIP caller, both ended by the caller's BYE"
room=$(lk_event room bot.kickoff)
if wait_until 5 room_gone; then ok "the room is deleted"; else not_ok "the room is deleted"; fi
like "$("$SCAIDIAL_CTL" -s "$T/ctl.sock" metrics | grep '^scaidial_livekit_bridges ')" "^scaidial_livekit_bridges 0$" \
    "no LiveKit bridge is left (metrics)"
check "no call is left in the daemon" sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' calls | grep -vq +1555777000"
stop_daemon
is "$STOP_RC" 0 "the daemon stops cleanly (under valgrind in test-all.sh: no leak, no error)"
done_testing
