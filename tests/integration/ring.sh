#!/bin/sh
# ring_extension against a real livekit-server and sipp: the call's room is created, the
# tenant app gets call.ringing (signed) with a token the server accepts for that room, the
# caller hears 180, and at the timeout the call goes to voicemail (on_no_answer); a CANCEL
# while it rings ends it (487, caller_cancel); a bot whose kickoff webhook fails goes to
# voicemail at once; rooms are deleted when the ring ends unanswered.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 150

SIPP_DIR=$TOP_SRCDIR/tests/integration/sipp
. "$TOP_SRCDIR/tests/integration/lk-lib.sh"
lk_need sipp sox
cd "$T" || exit 1
CARRIER=127.0.0.3
SECRET=ring-secret
lk_start_server || { not_ok "livekit-server starts"; done_testing; }
lk_start_webhooks "$SECRET" || { not_ok "webhook receiver starts"; done_testing; }

sox -n -r 8000 -c 1 -e u-law "$T/tone.wav" synth 10 sine 1000
sox -n -r 8000 -c 1 -b 16 "$T/greet.wav" synth 0.5 sine 440
write_config
cat >"$T/etc/scaidial.conf" <<EOF
general: {
  sip_listen = [ "udp:127.0.0.1:$SIP_PORT" ];
  database = "$T/state/scaidial.db"; spool_dir = "$T/spool"; control_socket = "$T/ctl.sock";
  log_level = "debug"; rtp_ports = [ 33000, 33999 ]; voicemail_greeting = "$T/greet.wav";
};
livekit: { url = "ws://127.0.0.1:$LK_PORT"; api_key = "$LK_KEY"; api_secret = "$LK_SECRET"; };
webhooks: { secret = "$SECRET"; wave_ring = "$HOOK/ok"; bot_kickoff = "$HOOK/bad"; };
tenants = ( { id = "acme"; name = "Acme"; } );
trunks = ( { id = "peer1"; tenant = "acme"; mode = "peer"; address = "sip:$CARRIER:5060";
    allowed_addresses = [ "$CARRIER/32" ]; } );
dids = ( { number = "+15551230001"; trunk = "peer1"; dialplan = "wave"; },
  { number = "+15551230002"; trunk = "peer1"; dialplan = "bot"; },
  { number = "+15551230003"; trunk = "peer1"; dialplan = "long"; } );
extensions = (
  { id = "1001"; tenant = "acme"; type = "wave"; user = "alice@acme"; voicemail = true; },
  { id = "2001"; tenant = "acme"; type = "bot"; bot = "42"; voicemail = true; } );
dialplans = (
  { id = "wave"; tenant = "acme"; rules = ( { priority = 10; action = "ring_extension";
      extension = "1001"; timeout = 3; on_no_answer = "voicemail"; } ); },
  { id = "bot"; tenant = "acme"; rules = ( { priority = 10; action = "ring_extension";
      extension = "2001"; timeout = 20; on_no_answer = "voicemail"; } ); },
  { id = "long"; tenant = "acme"; rules = ( { priority = 10; action = "ring_extension";
      extension = "1001"; timeout = 30; on_no_answer = "hangup"; } ); }
);
EOF
start_daemon || { not_ok "daemon starts"; done_testing; }

# vmcall DID CALLER WAIT_MS SCENARIO: sipp calls DID; the scenario's status.
vmcall() {
	sed -e "s/@PT@/0/g; s/@CODEC@/PCMU/g; s|@TONE@|$T/tone.wav|g; s/@WAIT@/$3/g" \
	    "$SIPP_DIR/$4.xml" >"$T/$4.xml"
	sipp 127.0.0.1:"$SIP_PORT" -i $CARRIER -p "$(free_port)" -mp "$(free_port)" -sf "$T/$4.xml" \
	    -s "$1" -set from "$2" -m 1 -timeout 40 -timeout_error -trace_msg \
	    -message_file "$T/$4-$2.msg" >"$T/sipp-$2.out" 2>&1
}

# A wave extension rings; nobody joins; at 3 s on to voicemail.
vmcall +15551230001 +15557770001 8000 uac_voicemail &
SIPP_BG=$!
if wait_until 5 grep -q call.ringing "$T/events.jsonl"; then ok "call.ringing is delivered"; else
	not_ok "call.ringing is delivered"; fi
room=$(lk_event room call.ringing)
like "$room" "^call-[0-9a-f-]{36}$" "it names the call's room ($room)"
is "$(lk_event user call.ringing) $(lk_event from call.ringing) $(lk_event livekit_url call.ringing)" \
    "alice@acme +15557770001 ws://127.0.0.1:$LK_PORT" "with the user, the caller and the LiveKit URL"
check "it is signed" grep -q '"event": "call.ringing".*"sig_ok": true' "$T/events.jsonl"
like " $(lk_rooms) " " $room " "the room exists on the LiveKit server while it rings"
token=$(lk_event token call.ringing)
code=$(python3 -c "import urllib.request,sys
try: print(urllib.request.urlopen('http://127.0.0.1:$LK_PORT/rtc/validate?access_token=$token', timeout=5).status)
except urllib.error.HTTPError as e: print(e.code)")
is "$code" 200 "the server accepts the user's token for the room (/rtc/validate)"
if wait "$SIPP_BG"; then ok "after the timeout the caller reaches voicemail and leaves a message"; else
	not_ok "after the timeout the caller reaches voicemail"; diag "$(tail -n 5 "$T/sipp-+15557770001.out")"; fi
check "the caller heard 180 Ringing first" grep -q "SIP/2.0 180 Ringing" "$T/uac_voicemail-+15557770001.msg"
like "$(grep 'no answer (timeout)' "$T/daemon.log")" "no answer \\(timeout\\): on to the next step" "the log says why it moved on"
row=$(sqlite3 "$T/state/scaidial.db" "select action || ' ' || cause || ' ' || room from calls where caller = '+15557770001'")
is "$row" "ring_extension voicemail_done $room" "the call row: ring_extension, then voicemail, in that room"
is "$(sqlite3 "$T/state/scaidial.db" "select count(*) from voicemail_messages where caller = '+15557770001'")" 1 "the message is stored"
room_gone() { case " $(lk_rooms) " in *" $room "*) return 1;; esac; }
if wait_until 5 room_gone; then ok "the room is deleted after the ring"; else
	not_ok "the room is deleted after the ring"; diag "$(lk_rooms)"; fi

# The caller gives up while it rings.
if vmcall +15551230003 +15557770002 1500 uac_cancel; then ok "a CANCEL while it rings: 200, then 487"; else
	not_ok "a CANCEL while it rings: 200, then 487"; diag "$(tail -n 5 "$T/sipp-+15557770002.out")"; fi
wait_until 2 sh -c "sqlite3 '$T/state/scaidial.db' \"select cause from calls where caller = '+15557770002'\" | grep -q ."
is "$(sqlite3 "$T/state/scaidial.db" "select cause || ' ' || sip_status from calls where caller = '+15557770002'")" \
    "caller_cancel 487" "recorded as caller_cancel, 487"

# A bot whose kickoff webhook is refused (400): voicemail at once, not after 20 s.
t0=$(date +%s)
if vmcall +15551230002 +15557770003 3000 uac_voicemail; then ok "a failed bot.kickoff goes on to voicemail"; else
	not_ok "a failed bot.kickoff goes on to voicemail"; fi
t1=$(date +%s)
if [ $((t1 - t0)) -lt 15 ]; then ok "without waiting for the ring timeout ($((t1 - t0)) s)"; else
	not_ok "without waiting for the ring timeout ($((t1 - t0)) s)"; fi
is "$(lk_event identity bot.kickoff) $(lk_event bot bot.kickoff)" "bot-42 42" "bot.kickoff named the bot and its identity"
like "$(grep 'bot.kickoff not delivered' "$T/daemon.log")" "not delivered: .*400" "the log says the webhook was refused"

check "daemon still running" daemon_alive
stop_daemon
is "$STOP_RC" 0 "the daemon stops cleanly"
done_testing
