#!/bin/sh
# Voicemail end to end with sipp as the carrier: a tone streamed as RTP (PCMU, PCMA) is
# recorded and checked by its frequency and length; '#' (RFC 4733), silence and the
# caller's BYE end a message; the voicemail.created event arrives signed; the calls are
# recorded; a re-INVITE is answered; scaidial-ctl hangup; srtp = required refuses plain
# RTP; kill -9 mid-call and a graceful stop lose nothing.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 200

SIPP_DIR=$TOP_SRCDIR/tests/integration/sipp
if ! command -v sipp >/dev/null 2>&1 || ! command -v sox >/dev/null 2>&1; then
	not_ok "sipp and sox are installed (contrib/dev/deps.sh test installs them)"
	done_testing
fi
cd "$T" || exit 1
CARRIER=127.0.0.3
SECRET=vm-secret
freq() { python3 "$TOP_SRCDIR/tests/integration/wavfreq.py" "$1"; }

python3 "$TOP_SRCDIR/tests/integration/webhook_server.py" --secret "$SECRET" \
    --log "$T/events.jsonl" --port-file "$T/hook.port" 2>"$T/hook.err" &
HOOK_PID=$!
wait_until 10 test -s "$T/hook.port" || { not_ok "webhook receiver starts"; done_testing; }

# Tones the carrier plays, and a short greeting so that the test does not wait for ours.
sox -n -r 8000 -c 1 -e u-law "$T/tone-1000.wav" synth 6 sine 1000
sox -n -r 8000 -c 1 -e a-law "$T/tone-800.wav" synth 6 sine 800
sox -n -r 8000 -c 1 -e u-law "$T/tone-short.wav" synth 2 sine 600
sox -n -r 8000 -c 1 -b 16 "$T/greet.wav" synth 0.5 sine 440

write_config
cat >"$T/etc/scaidial.conf" <<EOF
general: {
  sip_listen = [ "udp:127.0.0.1:$SIP_PORT" ];
  database = "$T/state/scaidial.db"; spool_dir = "$T/spool"; control_socket = "$T/ctl.sock";
  log_level = "debug"; rtp_ports = [ 32000, 32999 ];
  voicemail_greeting = "$T/greet.wav"; voicemail_silence_seconds = 2; voicemail_max_seconds = 20;
};
webhooks: { secret = "$SECRET"; call_events = "http://127.0.0.1:$(cat "$T/hook.port")/ok"; };
tenants = ( { id = "acme"; name = "Acme"; policy = { max_concurrent_calls = 1; }; } );
trunks = ( { id = "peer1"; tenant = "acme"; mode = "peer"; address = "sip:$CARRIER:5060";
    allowed_addresses = [ "$CARRIER/32" ]; codecs = [ "PCMU", "PCMA" ]; },
  { id = "secure"; tenant = "acme"; mode = "peer"; address = "sip:$CARRIER:5060";
    allowed_addresses = [ "$CARRIER/32" ]; srtp = "required"; } );
dids = ( { number = "+15551230001"; trunk = "peer1"; dialplan = "vm"; },
  { number = "+15551230002"; trunk = "secure"; dialplan = "vm"; } );
extensions = ( { id = "3001"; tenant = "acme"; type = "sip"; username = "3001"; password = "x";
    voicemail = true; } );
dialplans = ( { id = "vm"; tenant = "acme";
    rules = ( { priority = 10; action = "voicemail"; extension = "3001"; } ); } );
EOF
start_daemon || { not_ok "daemon starts"; done_testing; }

# call SCENARIO PT CODEC TONE WAIT_MS CALLER [sipp args...]: one call; sipp's status.
call() {
	local sc=$1 pt=$2 codec=$3 tone=$4 wait=$5 from=$6
	shift 6
	sed -e "s/@PT@/$pt/g; s/@CODEC@/$codec/g; s|@TONE@|$tone|g; s/@WAIT@/$wait/g" \
	    "$SIPP_DIR/$sc.xml" >"$T/$sc-$codec.xml"
	sipp 127.0.0.1:"$SIP_PORT" -i $CARRIER -p "$(free_port)" -mp "$(free_port)" \
	    -sf "$T/$sc-$codec.xml" -s +15551230001 -set from "$from" -m 1 -timeout 40 \
	    -timeout_error "$@" >"$T/sipp-$sc-$codec.out" 2>&1
}
# vm_last FIELD...: fields of the newest voicemail message.
vm_last() {
	ctl --json voicemail | python3 -c '
import json, sys
m = json.load(sys.stdin)[0]
print(" ".join(str(m.get(k)) for k in sys.argv[1:]))' "$@"
}
cdr_last() {
	ctl --json cdr --limit 1 | python3 -c '
import json, sys
c = json.load(sys.stdin)[0]
print(" ".join(str(c.get(k)) for k in sys.argv[1:]))' "$@"
}
# check_message CALLER HZ MIN_MS MAX_MS WHAT: the newest message is CALLER's and holds HZ.
check_message() {
	local caller=$1 hz=$2 lo=$3 hi=$4 what=$5 got f d
	wait_until 3 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json voicemail | grep -q -- '$caller'"
	set -- $(vm_last caller path duration_ms)
	if [ "${1:-}" != "$caller" ] || [ ! -f "${2:-/nonexistent}" ]; then
		not_ok "$what: a message from $caller is stored"; diag "$(ctl voicemail)"; return
	fi
	got=$(freq "$2")
	f=${got% *}
	d=$3
	if [ $((f - hz)) -le 20 ] && [ $((hz - f)) -le 20 ] && [ "$d" -ge "$lo" ] && [ "$d" -le "$hi" ]; then
		ok "$what: ${f} Hz for ${d} ms recorded (want $hz Hz, $lo..$hi ms)"
	else
		not_ok "$what: ${f} Hz for ${d} ms recorded (want $hz Hz, $lo..$hi ms)"
	fi
}

# PCMU, ended by '#' about 4 s after the answer: greeting 0.5 s + beep 0.4 s before it.
if call uac_voicemail 0 PCMU "$T/tone-1000.wav" 4000 +15557770001; then
	ok "PCMU: answered, and scaidial hangs up after '#'"; else
	not_ok "PCMU: answered, and scaidial hangs up after '#'"; diag "$(tail -n 5 "$T/sipp-uac_voicemail-PCMU.out")"; fi
check_message +15557770001 1000 2500 3400 "PCMU"
like "$(grep 'recording ended' "$T/daemon.log" | tail -n 1)" "recording ended \\(#\\)" "the recording ended on '#'"
is "$(cdr_last action cause)" "voicemail voicemail_done" "the call is recorded as voicemail, ended by us"

if call uac_voicemail 8 PCMA "$T/tone-800.wav" 4000 +15557770002; then
	ok "PCMA: answered, and scaidial hangs up after '#'"; else
	not_ok "PCMA: answered, and scaidial hangs up after '#'"; fi
check_message +15557770002 800 2500 3400 "PCMA"

# A '#' sent as SIP INFO (application/dtmf-relay) ends the message too.
if call uac_voicemail_info 0 PCMU "$T/tone-1000.wav" 3500 +15557770011; then
	ok "SIP INFO '#': scaidial hangs up"; else
	not_ok "SIP INFO '#': scaidial hangs up"; diag "$(tail -n 5 "$T/sipp-uac_voicemail_info-PCMU.out")"; fi
like "$(grep 'INFO digit' "$T/daemon.log" | tail -n 1)" "INFO digit #" "the INFO digit is logged"
check_message +15557770011 1000 1800 3000 "INFO-ended"

# Silence: a 2 s tone, then nothing; 2 s of silence end the message.
if call uac_voicemail_wait 0 PCMU "$T/tone-short.wav" 0 +15557770003; then
	ok "silence after the tone ends the message and scaidial hangs up"; else
	not_ok "silence ends the message"; fi
check_message +15557770003 600 1000 2400 "silence-ended"
like "$(grep 'recording ended' "$T/daemon.log" | tail -n 1)" "recording ended \\(silence\\)" "the recording ended on silence"

# The caller hangs up mid-message: the message is kept.
if call uac_voicemail_hangup 0 PCMU "$T/tone-1000.wav" 3000 +15557770004; then
	ok "the caller's BYE mid-message is answered"; else
	not_ok "the caller's BYE mid-message is answered"; fi
check_message +15557770004 1000 1500 2400 "hung-up"
is "$(cdr_last cause)" "caller_bye" "the call ended with cause caller_bye"

# voicemail.created arrived, signed, for each message.
wait_until 5 sh -c "[ \$(grep -c voicemail.created '$T/events.jsonl') -ge 5 ]"
is "$(grep -c 'voicemail.created' "$T/events.jsonl")" 5 "five voicemail.created events"
is "$(python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if "voicemail.created" in l]
print(sum(1 for r in rows if r.get("sig_ok")), len(rows))' "$T/events.jsonl")" "5 5" "each one correctly signed"

# The call lifecycle events for those five calls.
wait_until 5 sh -c "[ \$(grep -c 'call.ended' '$T/events.jsonl') -ge 5 ]"
is "$(python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
n = lambda e: sum(1 for r in rows if r["event"] == e and r["sig_ok"])
ended = sorted(json.loads(r["body"])["cause"] for r in rows if r["event"] == "call.ended")
print(n("call.started"), n("call.answered"), n("call.ended"), " ".join(ended))' "$T/events.jsonl")" \
    "5 5 5 caller_bye voicemail_done voicemail_done voicemail_done voicemail_done" \
    "call.started, call.answered and call.ended arrive signed, with the causes"

m=$(ctl metrics)
like "$m" 'scaidial_webhooks_total\{outcome="delivered"\} 20' "metrics count the 20 deliveries"

# A re-INVITE putting the caller on hold is answered recvonly; a digit is logged.
if call uac_voicemail_reinvite 0 PCMU "$T/tone-1000.wav" 2500 +15557770007; then
	ok "a re-INVITE (hold) mid-message draws 200 with a=recvonly"; else
	not_ok "a re-INVITE (hold) mid-message draws 200 with a=recvonly"; diag "$(tail -n 5 "$T/sipp-uac_voicemail_reinvite-PCMU.out")"; fi
like "$(grep 're-INVITE' "$T/daemon.log" | tail -n 1)" "re-INVITE answered" "the log notes the re-INVITE"
like "$(grep 'digit' "$T/daemon.log" | tail -n 1)" "digit 5" "the RFC 4733 digit 5 is logged as 5"
check_message +15557770007 1000 2500 5000 "held"

# scaidial-ctl hangup ends a call in progress with BYE.
call uac_voicemail_wait 0 PCMU "$T/tone-1000.wav" 0 +15557770008 &
SIPP_BG=$!
wait_until 5 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json calls | grep -q 15557770008"
id=$(ctl --json calls | python3 -c 'import json,sys; print([c["id"] for c in json.load(sys.stdin) if c["from"] == "+15557770008"][0])')
# The tenant allows one call at a time: a second one meanwhile is refused 486.
sed "s/@STATUS@/486/" "$SIPP_DIR/uac.xml" >"$T/uac486.xml"
if sipp 127.0.0.1:"$SIP_PORT" -i $CARRIER -p "$(free_port)" -sf "$T/uac486.xml" -s +15551230001 \
    -set from +15557770010 -m 1 -timeout 10 -timeout_error >"$T/uac486.out" 2>&1; then
	ok "a second call while the tenant is at its limit of 1 is refused 486"; else
	not_ok "a second call while the tenant is at its limit of 1 is refused 486"; fi
like "$(grep 'refused with 486' "$T/daemon.log")" "tenant acme is at its limit of 1 calls" "and the log says why"
like "$(ctl hangup "$id")" "hanging up" "scaidial-ctl hangup ID answers"
if wait "$SIPP_BG"; then ok "and the caller gets a BYE"; else not_ok "and the caller gets a BYE"; fi
wait_until 2 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json cdr --limit 1 | grep -q admin_hangup"
is "$(cdr_last from cause)" "+15557770008 admin_hangup" "the call is recorded with cause admin_hangup"
out=$(ctl hangup 00000000-0000-4000-8000-000000000000 2>&1); rc=$?
is "$rc" 1 "hangup of an unknown call exits 1"

# A trunk with srtp = "required" refuses a plain RTP offer with 488.
sed "s/@STATUS@/488/" "$SIPP_DIR/uac.xml" >"$T/uac488.xml"
if sipp 127.0.0.1:"$SIP_PORT" -i $CARRIER -p "$(free_port)" -sf "$T/uac488.xml" -s +15551230002 \
    -set from +15557770009 -m 1 -timeout 10 -timeout_error >"$T/uac488.out" 2>&1; then
	ok "srtp = required: a plain RTP offer is refused with 488"; else
	not_ok "srtp = required: a plain RTP offer is refused with 488"; fi
wait_until 2 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json cdr --limit 1 | grep -q 15557770009"
is "$(cdr_last from cause sip_status)" "+15557770009 media_refused 488" "and recorded so"

# kill -9 in the middle of a message: the next start closes the call.
call uac_voicemail_wait 0 PCMU "$T/tone-1000.wav" 0 +15557770005 &
SIPP_BG=$!
wait_until 5 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json calls | grep -q 15557770005"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
kill "$SIPP_BG" 2>/dev/null; wait "$SIPP_BG" 2>/dev/null
start_daemon || { not_ok "daemon restarts after kill -9"; done_testing; }
like "$(grep 'closed 1 call' "$T/daemon.log")" "closed 1 call left open by an unclean stop" "the restart closes the call kill -9 left open"
is "$(cdr_last from cause)" "+15557770005 daemon_restart" "with cause daemon_restart"
is "$(ctl --json voicemail | python3 -c 'import json,sys; print(sum(1 for m in json.load(sys.stdin)))')" 6 "and the six earlier messages are all there (the call hung up in its greeting left none)"

# A graceful stop with a message being left: BYE to the caller, the call and the message kept.
call uac_voicemail_wait 0 PCMU "$T/tone-1000.wav" 0 +15557770006 &
SIPP_BG=$!
wait_until 5 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json calls | grep -q 15557770006"
sleep 2.5
stop_daemon
is "$STOP_RC" 0 "SIGTERM with a call in progress exits 0"
if wait "$SIPP_BG"; then ok "the caller got a BYE"; else not_ok "the caller got a BYE"; fi
rows=$(sqlite3 "$T/state/scaidial.db" "select caller || ' ' || cause from calls where caller = '+15557770006'")
is "$rows" "+15557770006 daemon_stop" "the call is recorded with cause daemon_stop"
rows=$(sqlite3 "$T/state/scaidial.db" "select count(*) from voicemail_messages where caller = '+15557770006'")
is "$rows" 1 "the message being left is kept"
kill "$HOOK_PID" 2>/dev/null
done_testing
