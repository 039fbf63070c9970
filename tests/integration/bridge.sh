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
LIVEKIT_SERVER=${LIVEKIT_SERVER:-$(command -v livekit-server || echo "$HOME/go/bin/livekit-server")}
VENV_PY=${SCAIDIAL_TEST_HOME:-$HOME/.cache/scaidial-test}/venv/bin/python3
for need in sipp sox baresip sqlite3; do
	command -v $need >/dev/null 2>&1 || { not_ok "$need is installed (contrib/dev/deps.sh test)"; done_testing; }
done
if [ ! -x "$LIVEKIT_SERVER" ] || ! "$VENV_PY" -c 'import livekit.rtc, numpy' 2>/dev/null; then
	not_ok "livekit-server and the LiveKit Python SDK are installed (contrib/dev/deps.sh test)"
	done_testing
fi
cd "$T" || exit 1
CARRIER=127.0.0.3
SECRET=bridge-secret
KEY=devkey
LKSECRET=scaidial-bridge-test-secret-0123456789
DB=$T/state/scaidial.db

LK_PORT=$(free_port)
cat >"$T/livekit.yaml" <<EOF
port: $LK_PORT
bind_addresses: ["127.0.0.1"]
development: true
keys: {$KEY: "$LKSECRET"}
rtc: {tcp_port: $(free_port), udp_port: $(free_port), node_ip: 127.0.0.1, use_external_ip: false, enable_loopback_candidate: true}
EOF
"$LIVEKIT_SERVER" --config "$T/livekit.yaml" >"$T/livekit.log" 2>&1 &
LK_PID=$!
python3 "$TOP_SRCDIR/tests/integration/webhook_server.py" --secret "$SECRET" \
    --log "$T/events.jsonl" --port-file "$T/hook.port" 2>"$T/hook.err" &
HOOK_PID=$!
trap 'kill $LK_PID $HOOK_PID 2>/dev/null; cleanup' EXIT
lk_up() { python3 -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:$LK_PORT/', timeout=1).read() != b'OK')"; }
wait_until 30 lk_up || { not_ok "livekit-server starts"; done_testing; }
wait_until 10 test -s "$T/hook.port" || { not_ok "webhook receiver starts"; done_testing; }
HOOK=http://127.0.0.1:$(cat "$T/hook.port")

sox -n -r 8000 -c 1 -e u-law "$T/tone.wav" synth 10 sine 1000
sox -n -r 8000 -c 1 -b 16 "$T/tone-1000.wav" synth 12 sine 1000
write_config
cat >"$T/etc/scaidial.conf" <<EOF
general: {
  sip_listen = [ "udp:127.0.0.1:$SIP_PORT" ];
  database = "$DB"; spool_dir = "$T/spool"; control_socket = "$T/ctl.sock";
  log_level = "debug"; rtp_ports = [ 35000, 35999 ];
};
livekit: { url = "ws://127.0.0.1:$LK_PORT"; api_key = "$KEY"; api_secret = "$LKSECRET"; };
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

# event FIELD EVENT: FIELD of the newest EVENT's body.
event() {
	python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r["event"] == sys.argv[2]]
print(json.loads(rows[-1]["body"]).get(sys.argv[3], "") if rows else "")' "$T/events.jsonl" "$2" "$1"
}
rooms() {
	"$VENV_PY" -c '
import asyncio, sys
from livekit import api
async def main():
    lk = api.LiveKitAPI(sys.argv[1], sys.argv[2], sys.argv[3])
    r = await lk.room.list_rooms(api.ListRoomsRequest())
    print(" ".join(x.name for x in r.rooms))
    await lk.aclose()
asyncio.run(main())' "http://127.0.0.1:$LK_PORT" "$KEY" "$LKSECRET" 2>/dev/null
}
# peer NAME EVENT TONE FROM [lk_peer args]: waits for EVENT, joins its room with its token.
peer() {
	local name=$1 ev=$2 tone=$3 from=$4
	shift 4
	wait_until 10 grep -q "\"event\": \"$ev\"" "$T/events.jsonl" || return 1
	timeout 60 "$VENV_PY" "$TOP_SRCDIR/tests/integration/lk_peer.py" peer \
	    "ws://127.0.0.1:$LK_PORT" "$(event token "$ev")" --tone "$tone" --from "$from" \
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
room=$(event room call.ringing)
room_gone() { case " $(rooms) " in *" $room "*) return 1;; esac; }
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
timeout 25 baresip -f "$d" -s -t 10 -e "/dial sip:+15551230002@127.0.0.1:$SIP_PORT
" </dev/null >"$T/baresip.log" 2>&1 &
BS_BG=$!
if peer bot bot.kickoff 600 sip_+15557770002 --dtmf 5; then
	ok "the bot joins with the bot.kickoff token and hears the caller"; else
	not_ok "the bot joins with the bot.kickoff token and hears the caller"
	diag "$(tail -n 8 "$T/peer-bot.log")"; fi
f=$(heard "$T/peer-bot.log")
if near "$f" 1000; then ok "the bot hears the phone's tone: $f Hz (want 1000)"; else
	not_ok "the bot hears the phone's tone: '$f' Hz (want 1000)"; fi
check "the bot sees the phone hang up" grep -q "peer: sip_+15557770002 left" "$T/peer-bot.log"
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
room=$(event room bot.kickoff)
if wait_until 5 room_gone; then ok "the room is deleted"; else not_ok "the room is deleted"; fi
check "no bridge is left in the daemon" sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' calls | grep -vq +1555777000"
done_testing
