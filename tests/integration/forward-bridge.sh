#!/bin/sh
# forward by bridge (B2BUA) end to end. The carrier calling in is baresip on 127.0.0.3
# (streaming a 1000 Hz tone, recording what it hears) or sipp; the forward target is a
# second baresip (auto-answer, 600 Hz, recording) or sipp as a carrier (407 once, 180,
# 200, a 600 Hz tone; or 486, 503, no answer). Audio is checked by its frequency both
# ways; failures by the forward leg's status and cause; a target that outbound_allow
# refuses draws 403 before any INVITE leaves (the target's sipp sees nothing); BYE from
# either side ends both; a REFER the carrier refuses falls back to the bridge.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 240

SIPP_DIR=$TOP_SRCDIR/tests/integration/sipp
if ! command -v sipp >/dev/null 2>&1 || ! command -v baresip >/dev/null 2>&1 ||
    ! command -v sox >/dev/null 2>&1; then
	not_ok "sipp, baresip and sox are installed (contrib/dev/deps.sh test)"
	done_testing
fi
cd "$T" || exit 1
CARRIER=127.0.0.3
PHONE_T=127.0.0.4	# the baresip target
SIPP_T=127.0.0.5	# the sipp target
PT=$(free_port)
ST=$(free_port)
DEAD=$(free_port)	# the carrier trunk's address: its OPTIONS keepalives go there, not to sipp
freq() { python3 "$TOP_SRCDIR/tests/integration/wavfreq.py" "$1"; }

sox -n -r 8000 -c 1 -b 16 "$T/tone-1000.wav" synth 12 sine 1000
sox -n -r 8000 -c 1 -b 16 "$T/tone-600.wav" synth 12 sine 600
sox -n -r 16000 -c 1 -b 16 "$T/tone-1000-16k.wav" synth 12 sine 1000	# baresip does not resample
sox -n -r 8000 -c 1 -e u-law "$T/tone-600-ulaw.wav" synth 8 sine 600

write_config
cat >"$T/etc/scaidial.conf" <<EOF
general: { sip_listen = [ "udp:127.0.0.1:$SIP_PORT" ]; database = "$T/state/scaidial.db";
  spool_dir = "$T/spool"; control_socket = "$T/ctl.sock"; log_level = "debug";
  rtp_ports = [ 35000, 35999 ]; };
tenants = ( { id = "acme"; name = "Acme"; policy = { outbound_allow = [ "+1*" ]; }; } );
trunks = ( { id = "phone"; tenant = "acme"; mode = "peer"; address = "sip:$PHONE_T:$PT";
    allowed_addresses = [ "$CARRIER/32" ]; codecs = [ "PCMU" ]; },
  { id = "phone722"; tenant = "acme"; mode = "peer"; address = "sip:$PHONE_T:$PT";
    allowed_addresses = [ "$CARRIER/32" ]; codecs = [ "G722", "PCMU" ]; },
  { id = "carrier"; tenant = "acme"; mode = "peer"; address = "sip:$SIPP_T:$DEAD";
    proxy = "sip:$SIPP_T:$ST";
    allowed_addresses = [ "$CARRIER/32" ]; codecs = [ "PCMU", "PCMA" ];
    username = "acme-out"; password = "s3cret"; } );
dids = ( { number = "+15551230001"; trunk = "phone"; dialplan = "to-phone"; },
  { number = "+15551230002"; trunk = "carrier"; dialplan = "to-carrier"; },
  { number = "+15551230003"; trunk = "carrier"; dialplan = "denied"; },
  { number = "+15551230004"; trunk = "carrier"; dialplan = "refer-fallback"; },
  { number = "+15551230005"; trunk = "phone722"; dialplan = "to-phone"; },
  { number = "+15551230006"; trunk = "carrier"; dialplan = "refer-denied"; } );
dialplans = ( { id = "to-phone"; tenant = "acme";
    rules = ( { priority = 10; action = "forward"; target = "+15557654321"; method = "bridge"; } ); },
  { id = "to-carrier"; tenant = "acme";
    rules = ( { priority = 10; action = "forward"; target = "+15557654322"; method = "bridge";
                timeout = 3; } ); },
  { id = "denied"; tenant = "acme";
    rules = ( { priority = 10; action = "forward"; target = "sip:+33123456789@$SIPP_T:$ST";
                method = "bridge"; } ); },
  { id = "refer-denied"; tenant = "acme";
    rules = ( { priority = 10; action = "forward"; target = "sip:+33123456789@$SIPP_T:$ST";
                method = "refer"; } ); },
  { id = "refer-fallback"; tenant = "acme";
    rules = ( { priority = 10; action = "forward"; target = "+15557654322"; method = "refer";
                fallback = "bridge"; } ); } );
EOF
start_daemon || { not_ok "daemon starts"; done_testing; }

# baresip_cfg DIR ADDR PORT TONE: a headless baresip configured only by files under DIR.
baresip_cfg() {
	mkdir -p "$1"
	cat >"$1/config" <<EOF
module_path /usr/lib/baresip/modules
poll_method epoll
net_interface $2
sip_listen $2:$3
rtp_ports 36000-36999
audio_source aufile,$4
audio_player aubridge,sink
audio_alert aubridge,alert
snd_path $1
module g711.so
module g722.so
module aufile.so
module aubridge.so
module sndfile.so
module_tmp uuid.so
module_tmp account.so
module_app menu.so
EOF
	: >"$1/contacts"
}
# caller NAME DID SECONDS [CODEC TONE]: baresip on $CARRIER dials DID, plays 1000 Hz, hangs
# up after SECONDS (unless the other side does first).
caller() {
	local d=$T/bs-$1
	baresip_cfg "$d" $CARRIER "$(free_port)" "${5:-$T/tone-1000.wav}"
	echo "<sip:+15557770100@$CARRIER>;regint=0;audio_codecs=${4:-PCMU}" >"$d/accounts"
	timeout $(($3 + 10)) baresip -f "$d" -s -t "$3" -e "/dial sip:$2@127.0.0.1:$SIP_PORT
" </dev/null >"$T/$1.log" 2>&1
}
# target_phone SECONDS [NAME CODEC]: baresip on $PHONE_T answers at once and plays 600 Hz.
target_phone() {
	local d=$T/bs-${2:-target}
	baresip_cfg "$d" $PHONE_T "$PT" "$T/tone-600.wav"
	echo "<sip:+15557654321@$PHONE_T>;regint=0;answermode=auto;audio_codecs=${3:-PCMU}" >"$d/accounts"
	timeout $(($1 + 5)) baresip -f "$d" -s -t "$1" </dev/null >"$T/${2:-target}.log" 2>&1
}
# target_sipp SCENARIO [sed...]: sipp on $SIPP_T:$ST as the carrier for one call.
target_sipp() {
	local sc=$1
	shift
	sed -e '' "$@" "$SIPP_DIR/$sc.xml" >"$T/$sc.xml"
	exec sipp -sf "$T/$sc.xml" -i $SIPP_T -p "$ST" -mp "$(free_port)" -m 1 -timeout 30 \
	    -timeout_error -trace_msg -message_file "$T/$sc.msg" >"$T/$sc.out" 2>&1
}
# caller_sipp DID FROM STATUS: sipp as the carrier calling in, expecting STATUS.
caller_sipp() {
	sed -e "s/@STATUS@/$3/" "$SIPP_DIR/uac.xml" >"$T/uac-$3.xml"
	sipp 127.0.0.1:"$SIP_PORT" -i $CARRIER -p "$(free_port)" -mp "$(free_port)" \
	    -sf "$T/uac-$3.xml" -s "$1" -set from "$2" -m 1 -timeout 20 -timeout_error \
	    >"$T/uac-$3.out" 2>&1
}
db() { sqlite3 "$T/state/scaidial.db" "$1"; }
# legs CALLER: kind:cause:status of each leg of CALLER's call, in order.
legs() {
	db "select group_concat(kind || ':' || ifnull(cause,'') || ':' || sip_status, ' ') from (select l.kind, l.cause, l.sip_status from call_legs l join calls c on c.id = l.call_id where c.caller = '$1' order by l.started_ms, l.kind desc)"
}
legs_of() {
	db "select group_concat(kind || ':' || ifnull(cause,'') || ':' || sip_status, ' ') from (select kind, cause, sip_status from call_legs where call_id = '$1' order by started_ms, kind desc)"
}
ended() { wait_until 5 sh -c "[ -n \"\$(sqlite3 '$T/state/scaidial.db' \"select cause from calls where (caller = '$1' or id = '$1') and ifnull(cause, '') != ''\")\" ]"; }
# heard NAME: what baresip NAME decoded from the call (its sndfile dump).
heard() { ls "$T/bs-$1"/dump-*-dec.wav 2>/dev/null | head -n 1; }
# share FILE HZ: the part of the WAV's energy that is a tone at HZ (0..1), summed over
# 160 ms blocks (Goertzel), so that gaps or a phase jump between blocks (a slow daemon
# under valgrind, concealment) do not hide a tone that is there.
share() {
	python3 - "$1" "$2" <<'PY'
import array, math, sys, wave
w = wave.open(sys.argv[1]); rate = w.getframerate()
x = array.array("h", w.readframes(w.getnframes()))
hz = float(sys.argv[2]); n = rate * 160 // 1000; c = 2 * math.cos(2 * math.pi * hz / rate)
tone = total = 0.0
for b in range(0, len(x) - n + 1, n):
    s1 = s2 = 0.0
    for v in x[b:b + n]:
        s1, s2 = v + c * s1 - s2, s1
    tone += 2 * (s1 * s1 + s2 * s2 - c * s1 * s2) / n
    total += sum(v * v for v in x[b:b + n])
print("%.2f" % (tone / total if total else 0))
PY
}
# hz FILE WANT WHAT: the WAV is a tone at WANT: at least 60 % of its energy, and at least
# 2 s of it loud (wavfreq.py's frequency from zero crossings is shown too).
hz() {
	local got f d s
	if [ ! -s "${1:-/nonexistent}" ]; then not_ok "$3: nothing recorded"; return; fi
	got=$(freq "$1"); f=${got% *}; d=${got#* }
	s=$(share "$1" "$2")
	if python3 -c "import sys; sys.exit(0 if $s >= 0.6 and $d >= 2000 else 1)"; then
		ok "$3: $2 Hz holds $s of the energy (zero crossings: ${f} Hz), ${d} ms"
	else
		not_ok "$3: $2 Hz holds $s of the energy (want >= 0.6), ${f} Hz by zero crossings, ${d} ms"
	fi
}

# 1. Two phones: the caller hears the target's 600 Hz, the target hears the caller's
#    1000 Hz, and the caller's BYE ends the target's call too.
target_phone 14 &
TPID=$!
sleep 1
caller phone +15551230001 7
wait "$TPID"
hz "$(heard phone)" 600 "the caller hears the target through the relay"
hz "$(heard target)" 1000 "the target hears the caller through the relay"
CALL1=$(db "select id from calls where did = '+15551230001' limit 1")
ended "$CALL1"
is "$(legs_of "$CALL1")" "sip:caller_bye:0 forward:caller_bye:0" \
    "the caller's BYE ends the call and the forward leg (cause caller_bye)"
like "$(grep -a -c 'BYE sip:' "$T/target.log")" "^[1-9]" "the target received BYE from scaidial"
like "$(ctl call "$CALL1")" \
    "forward" "scaidial-ctl call ID shows the forward leg"

# 1b. A digit crosses: the caller's RFC 4733 '5' reaches the target as an RFC 4733 event.
target_phone 12 &
TPID=$!
sleep 1
sed -e "s/@HOLD@/2500/" "$SIPP_DIR/uac_fwd_dtmf.xml" >"$T/dtmf.xml"
if sipp 127.0.0.1:"$SIP_PORT" -i $CARRIER -p "$(free_port)" -mp "$(free_port)" -sf "$T/dtmf.xml" \
    -s +15551230001 -set from +15557770150 -m 1 -timeout 20 -timeout_error >"$T/dtmf.out" 2>&1; then
	ok "a bridged call from sipp: answered, digit sent, BYE"
else not_ok "the digit call completes"; diag "$(tail -n 8 "$T/dtmf.out")"; fi
wait "$TPID"
like "$(grep -a "received event: '" "$T/target.log" | head -n 1)" "received event: '5'" \
    "the target receives the caller's digit 5 as RFC 4733"

# 1c. Different codecs on the two legs: the trunk offers G.722 then PCMU; the caller speaks
#     only G.722 (16 kHz), the target only PCMU (8 kHz): the relay converts both ways.
target_phone 14 target8k PCMU &
TPID=$!
sleep 1
caller g722 +15551230005 7 G722/16000/1 "$T/tone-1000-16k.wav"
wait "$TPID"
like "$(grep -a 'm=audio' "$T/target8k.log" | tail -n 1)" "RTP/AVP 0( |$)" "the target's leg is PCMU"
like "$(grep -a 'm=audio' "$T/g722.log" | tail -n 1)" "RTP/AVP 9( |$)" "the caller's leg is G.722"
hz "$(heard g722)" 600 "the G.722 caller hears the PCMU target"
hz "$(heard target8k)" 1000 "the PCMU target hears the G.722 caller"

# 2. A carrier as target: 407 answered with the trunk's credentials, 180, 200, its 600 Hz
#    tone reaches the caller, and its BYE ends the caller's call.
target_sipp uas_fwd_auth -e "s/@USER@/acme-out/; s|@TONE@|$T/tone-600-ulaw.wav|" \
    -e "s/@WAIT@/4000/; s/@END@/bye/" &
TPID=$!
sleep 1
caller carrier +15551230002 12
if wait "$TPID"; then ok "the carrier's 407 is answered, then 180, 200, its BYE"
else not_ok "the carrier's scenario completes"; diag "$(tail -n 12 "$T/uas_fwd_auth.out")"; fi
# The digest (RFC 2617, MD5, no qop) computed from the password the carrier knows.
is "$(python3 - "$T/uas_fwd_auth.msg" <<'PY'
import hashlib, re, sys
t = open(sys.argv[1], errors="replace").read()
a = re.search(r"Proxy-Authorization: Digest ([^\r\n]*)", t)
if not a:
    print("no Proxy-Authorization"); sys.exit()
p = dict(re.findall(r'(\w+)="([^"]*)"', a.group(1)))
md5 = lambda s: hashlib.md5(s.encode()).hexdigest()
want = md5(md5("acme-out:carrier.test:s3cret") + ":" + p["nonce"] + ":" + md5("INVITE:" + p["uri"]))
ok = p.get("response") == want and p.get("uri", "").startswith("sip:+15557654322@")
print("valid" if ok else "wrong: " + a.group(1))
PY
)" "valid" "the digest answers the challenge with the trunk's password"
like "$(grep -a 'INVITE sip:' "$T/uas_fwd_auth.msg" | head -n 1)" "INVITE sip:\\+15557654322@$SIPP_T:$DEAD" \
    "the INVITE's Request-URI is the target at the trunk's address, sent through its proxy"
like "$(grep -a '^From:' "$T/uas_fwd_auth.msg" | head -n 1)" "sip:\\+15557770100@" \
    "the caller's number is passed on as caller ID"
hz "$(heard carrier)" 600 "the caller hears the carrier's tone"
like "$(grep -a "received event: '" "$T/carrier.log" | head -n 1)" "received event: '7'" \
    "the carrier's SIP INFO digit 7 reaches the caller as RFC 4733"
CALL2=$(db "select id from calls where did = '+15551230002' order by started_ms desc limit 1")
ended "$CALL2"
is "$(legs_of "$CALL2")" \
    "sip:callee_bye:0 forward:callee_bye:0" "the target's BYE ends both legs (cause callee_bye)"
like "$(grep -a -c 'BYE sip:' "$T/carrier.log")" "^[1-9]" "the caller received BYE"

# 3. Failures: the caller is told, the forward leg keeps the target's status and cause.
fail_case() { # STATUS PHRASE CALLER WANT_CALLER_STATUS WANT_LEG
	target_sipp uas_fwd_fail -e "s/@STATUS@/$1/; s/@PHRASE@/$2/" &
	TPID=$!
	sleep 1
	if caller_sipp +15551230002 "$3" "$4"; then ok "target $1: the caller gets $4"
	else not_ok "target $1: the caller gets $4"; diag "$(tail -n 6 "$T/uac-$4.out")"; fi
	wait "$TPID"
	ended "$3"
	is "$(legs "$3")" "sip:forward_failed:$4 $5" "target $1: recorded as $5"
}
fail_case 486 "Busy Here" +15557770301 486 "forward:busy:486"
fail_case 503 "Service Unavailable" +15557770302 480 "forward:unavailable:503"
fail_case 407 "Proxy Authentication Required" +15557770305 480 "forward:auth_failed:407"
target_sipp uas_fwd_noanswer &
TPID=$!
sleep 1
if caller_sipp +15551230002 +15557770303 480; then ok "no answer in 3 s: the caller gets 480"
else not_ok "no answer: the caller gets 480"; diag "$(tail -n 6 "$T/uac-480.out")"; fi
if wait "$TPID"; then ok "the target got CANCEL"; else not_ok "the target got CANCEL"; fi
ended +15557770303
is "$(legs +15557770303)" "sip:forward_failed:480 forward:timeout:408" \
    "no answer: recorded as timeout (408)"

# 3b. Early media is bridged early: a target that sends 183 with SDP and a 600 Hz tone and
#     then refuses (486) within the rule's 3 s was heard by the caller, who then gets the 486.
target_sipp uas_fwd_early -e "s|@TONE@|$T/tone-600-ulaw.wav|; s/@WAIT@/2600/" &
TPID=$!
sleep 1
caller early +15551230002 8
if wait "$TPID"; then ok "the early-media target ran: 183 with SDP, tone, 486"
else not_ok "the early-media target ran"; diag "$(tail -n 8 "$T/uas_fwd_early.out")"; fi
hz "$(heard early)" 600 "the caller heard the target's early media before any answer"
like "$(grep -a 'SIP/2.0 486' "$T/early.log" | head -n 1)" "486" "then the caller got the 486"
EARLY=$(db "select id from calls where did = '+15551230002' order by started_ms desc limit 1")
ended "$EARLY"
is "$(legs_of "$EARLY")" "sip:forward_failed:486 forward:busy:486" "recorded as busy after early media"

# Nothing listening at the target: the ICMP error ends the leg at once.
if caller_sipp +15551230002 +15557770304 480; then ok "no target at all: the caller gets 480"
else not_ok "no target at all: the caller gets 480"; diag "$(tail -n 6 "$T/uac-480.out")"; fi
ended +15557770304
is "$(legs +15557770304)" "sip:forward_failed:480 forward:transport_error:503" \
    "no target: recorded as transport_error (503)"

# 4. A target outbound_allow refuses: 403 and nothing sent.
rm -f "$T/uas_fwd_fail.msg"
target_sipp uas_fwd_fail -e "s/@STATUS@/486/; s/@PHRASE@/Busy Here/" &
TPID=$!
sleep 1
if caller_sipp +15551230003 +15557770401 403; then ok "a disallowed target: the caller gets 403"
else not_ok "a disallowed target: the caller gets 403"; diag "$(tail -n 6 "$T/uac-403.out")"; fi
sleep 1
kill "$TPID" 2>/dev/null
wait "$TPID" 2>/dev/null
is "$(cat "$T/uas_fwd_fail.msg" 2>/dev/null | grep -a -c 'INVITE sip:')" 0 \
    "and the target saw no INVITE"
ended +15557770401
is "$(legs +15557770401)" "sip:forward_denied:403" "recorded as forward_denied, no forward leg"
if caller_sipp +15551230006 +15557770402 403; then ok "by REFER too: 403 before the call is answered"
else not_ok "a disallowed REFER target: the caller gets 403"; diag "$(tail -n 6 "$T/uac-403.out")"; fi
ended +15557770402
is "$(legs +15557770402)" "sip:forward_denied:403" "recorded as forward_denied"

# 5. REFER refused by the carrier (NOTIFY 486) with fallback = "bridge": the call, already
#    answered for the REFER, is bridged to the target instead; the target's BYE ends it.
target_sipp uas_fwd_auth -e "s/@USER@/acme-out/; s|@TONE@|$T/tone-600-ulaw.wav|" \
    -e "s/@WAIT@/2000/; s/@END@/bye/" &
TPID=$!
sleep 1
sed -e 's/@TARGET@/sip:\\+15557654322@127\\.0\\.0\\.5:'"$DEAD"'/' -e "s|@FRAG@|SIP/2.0 486 Busy Here|" \
    "$SIPP_DIR/uac_refer.xml" >"$T/refer.xml"
if sipp 127.0.0.1:"$SIP_PORT" -i $CARRIER -p "$(free_port)" -mp "$(free_port)" -sf "$T/refer.xml" \
    -s +15551230004 -set from +15557770501 -m 1 -timeout 30 -timeout_error >"$T/refer.out" 2>&1; then
	ok "REFER answered 202, NOTIFY 486, then the bridge's BYE reaches the caller"
else not_ok "the REFER fallback flow completes"; diag "$(tail -n 8 "$T/refer.out")"; fi
if wait "$TPID"; then ok "the target was called, answered and hung up"
else not_ok "the target was called after the REFER failed"; fi
ended +15557770501
is "$(legs +15557770501)" "sip:callee_bye:0 forward:refer_failed:486 forward:callee_bye:0" \
    "the REFER's leg keeps its 486, the bridge's leg follows"

check "daemon still running" daemon_alive

# 6. The daemon stops during a bridged call: both legs end with BYE, cause daemon_stop.
target_phone 12 stop-target &
TPID=$!
sleep 1
caller stop +15551230001 10 &
CPID=$!
if wait_until 8 sh -c "[ \"\$(sqlite3 '$T/state/scaidial.db' \"select count(*) from call_legs where kind = 'forward' and ifnull(answered_ms, 0) > 0 and ifnull(cause, '') = ''\")\" = 1 ]"; then
	ok "a bridged call is up"; else not_ok "a bridged call is up"; fi
stop_daemon
is "$STOP_RC" 0 "the daemon stops cleanly during it"
wait "$CPID" "$TPID"
STOPPED=$(db "select id from calls where did = '+15551230001' order by started_ms desc limit 1")
is "$(legs_of "$STOPPED")" "sip:daemon_stop:0 forward:daemon_stop:0" "both legs end with cause daemon_stop"
like "$(grep -a -c 'BYE sip:' "$T/stop-target.log")" "^[1-9]" "the target got BYE"
like "$(grep -a -c 'BYE sip:' "$T/stop.log")" "^[1-9]" "the caller got BYE"
done_testing
