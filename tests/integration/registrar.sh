#!/bin/sh
# Desk phones: baresip (Debian baresip-core, headless, configured only by files under $T)
# registers on 127.0.0.3 as extension 3001 with digest auth and is listed by
# `scaidial-ctl registrations`; a wrong password and an unknown user get the same answers
# on the wire; Expires: 0 and expiry remove bindings; a reload keeps or drops them.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 240

if ! command -v baresip >/dev/null 2>&1 || ! command -v sox >/dev/null 2>&1; then
	not_ok "baresip (baresip-core) and sox are installed (contrib/dev/deps.sh test)"
	done_testing
fi
cd "$T" || exit 1
PHONE=127.0.0.3
STRANGER=127.0.0.4
to=127.0.0.1:$SIP_PORT
rprobe() { python3 "$TOP_SRCDIR/tests/integration/registrar_probe.py" --to "$to" "$@"; }
probe() { python3 "$TOP_SRCDIR/tests/integration/sip_probe.py" "$@"; }

conf() {
	write_config
	cat >"$T/etc/scaidial.conf" <<EOF2
general: {
  sip_listen = [ "udp:127.0.0.1:$SIP_PORT", "tcp:127.0.0.1:$SIP_PORT" ];
  database = "$T/state/scaidial.db"; spool_dir = "$T/spool"; control_socket = "$T/ctl.sock";
  log_level = "debug"; rtp_ports = [ 34000, 34999 ];
  registrar_min_expires = 4; registrar_max_expires = 600;
};
tenants = ( { id = "acme"; name = "Acme"; policy = { outbound_allow = [ "+1555765*" ]; }; },
  { id = "beta"; name = "Beta"; } );
trunks = ( { id = "carrier1"; tenant = "acme"; mode = "peer"; address = "sip:127.0.0.1:$CARRIER_PORT";
    allowed_addresses = [ "127.0.0.1/32" ]; codecs = [ "PCMU" ]; } );
dids = ( { number = "+15551230001"; trunk = "carrier1"; dialplan = "desk"; } );
extensions = ( { id = "3001"; tenant = "acme"; type = "sip"; username = "desk3001"; password = "$1"; },
  { id = "4001"; tenant = "beta"; type = "sip"; username = "desk4001"; password = "other"; } );
dialplans = ( { id = "desk"; tenant = "acme";
    rules = ( { priority = 10; action = "ring_extension"; extension = "3001"; timeout = 5;
                on_no_answer = "hangup"; } ); } );
EOF2
}
CARRIER_PORT=$(free_port)
conf "s3cret"
start_daemon || { not_ok "daemon starts"; done_testing; }

# phone NAME SECONDS ACCOUNT_PARAMS: baresip registering as desk3001 for SECONDS (in the
# background; its pid in PHONE_PID), console and SIP trace in $T/NAME.log.
phone() {
	local d=$T/bs-$1
	mkdir -p "$d"
	cat >"$d/config" <<EOF2
module_path /usr/lib/baresip/modules
poll_method epoll
net_interface $PHONE
sip_listen $PHONE:$(free_port)
rtp_ports 36000-36999
audio_source aufile,$T/tone-phone.wav
audio_alert aufile,$d/alert.wav
snd_path $d
module g711.so
module sndfile.so
module aufile.so
module_tmp uuid.so
module_tmp account.so
module_app menu.so
EOF2
	echo "<sip:desk3001@127.0.0.1:$SIP_PORT;transport=udp>;auth_pass=$3;answermode=auto" >"$d/accounts"
	: >"$d/contacts"
	# -t bounds its life; no timeout(1) wrapper, so that PHONE_PID is baresip itself.
	baresip -f "$d" -s -t "$2" </dev/null >"$T/$1.log" 2>&1 &
	PHONE_PID=$!
}
regs() { ctl --json registrations; }
reg_field() {
	regs | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(" ".join(str(x.get(k)) for x in r for k in sys.argv[1:]))' "$@"
}
sox -n -r 8000 -c 1 -b 16 "$T/tone-phone.wav" synth 30 sine 700

# 1. The right password: 200, listed.
phone ok 12 "s3cret;regint=60"
if wait_until 8 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json registrations | grep -q desk3001"; then
	ok "baresip registers with the right password"
else
	not_ok "baresip registers with the right password"; diag "$(tail -n 30 "$T/ok.log")"
fi
like "$(grep -a -m1 'SIP/2.0 401' "$T/ok.log")" "401 Unauthorized" "its first REGISTER is challenged (401)"
like "$(grep -a 'SIP/2.0 200' "$T/ok.log" | head -n1)" "200 OK" "and the answered one gets 200"
like "$(reg_field extension tenant source contact expires_in)" \
    "^3001 acme $PHONE:[0-9]+ sip:desk3001[^@]*@$PHONE:[0-9]+.* (59|60)$" \
    "registrations: extension, tenant, source address, contact, expires in"
like "$(ctl registrations)" "^EXTENSION +TENANT +CONTACT +SOURCE +USER_AGENT +EXPIRES" "human output has its columns"
like "$(ctl registrations | sed -n 2p)" "^3001 +acme +sip:desk3001[^@]*@$PHONE.* $PHONE:[0-9]+/udp +baresip" "and the binding's row"
like "$(probe ask --to "$to" --from $PHONE OPTIONS keepalive)" "^SIP/2.0 200 OK" \
    "an OPTIONS keepalive from the registered phone's address is answered 200"
like "$(probe ask --to "$to" --from $STRANGER OPTIONS keepalive)" "^SIP/2.0 403 Forbidden" \
    "one from any other address is refused"
like "$(ctl status | grep 'desk phones')" "desk phones +1 binding$" "status counts the binding"
like "$(ctl metrics | grep '^scaidial_desk_phone_bindings')" "^scaidial_desk_phone_bindings 1$" "and so do the metrics"
like "$(grep 'registrar: extension 3001' "$T/daemon.log" | head -n1)" \
    "registrar: extension 3001 \(tenant acme\): registered <sip:desk3001[^@]*@$PHONE" "one log line for the new binding"

# 2. Strangers: a wrong password and an unknown user get the same answers, byte for byte
# (the transaction's own headers and the nonce aside), and the failure is sip_guard's 403.
c1=$(rprobe --from $STRANGER --no-auth desk3001 x)
c2=$(rprobe --from $STRANGER --no-auth nosuchuser x)
like "$c1" "^SIP/2.0 401 Unauthorized" "a REGISTER without credentials is challenged (401)"
like "$c1" 'WWW-Authenticate: Digest realm="127.0.0.1", nonce="N", algorithm=MD5, qop="auth"' \
    "with an MD5 digest challenge"
is "$c2" "$c1" "an unknown user gets the very same challenge"
f1=$(rprobe --from $STRANGER desk3001 wrong)
f2=$(rprobe --from $STRANGER nosuchuser wrong)
f3=$(rprobe --from $STRANGER desk4001 s3cret)
like "$f1" "^SIP/2.0 403 Forbidden" "a wrong password is refused with 403"
is "$f2" "$f1" "an unknown user's answer is byte-identical to a wrong password's"
is "$f3" "$f1" "so is another tenant's user with this user's password"
is "$(probe ask --to "$to" --from 127.0.0.1 INVITE +15550000000)" "$f1" \
    "and both are the one refusal strangers get (an unknown number's)"
is "$(probe ask --to "$to" --from $STRANGER INVITE +15551230001 | sed 's/nonce="[^"]*"/nonce="N"/')" \
    "$(printf '%s\n' "$c1" | sed 's/^SIP.*/SIP\/2.0 407 Proxy Authentication Required/; s/^WWW-Authenticate/Proxy-Authenticate/')" \
    "an INVITE from an address no trunk allows is challenged (407) like a REGISTER, whatever it calls"
is "$(printf '%s\n' "$f1" | wc -l | tr -d ' ')" 1 "the refusal names nothing (no User-Agent, no Server)"
like "$(grep 'sip: refused REGISTER' "$T/daemon.log" | head -n 2 | tr '\n' ' ')" \
    "refused REGISTER from $STRANGER: wrong password for user \"desk3001\".*refused REGISTER from $STRANGER: unknown user \"nosuchuser\"" \
    "each failure is one 'sip: refused' line for the operator"
if command -v fail2ban-regex >/dev/null 2>&1; then
	n=$(grep -c "sip: refused REGISTER" "$T/daemon.log")
	like "$(fail2ban-regex "$T/daemon.log" "$TOP_SRCDIR/contrib/fail2ban/filter.d/scaidial.conf" 2>&1)" \
	    "Failregex: [0-9]*[1-9] total" "the fail2ban filter matches them ($n REGISTER lines)"
else
	not_ok "fail2ban-regex is installed (contrib/dev/deps.sh test installs fail2ban)"
fi
is "$(reg_field source | tr ' ' '\n' | grep -c "^$STRANGER:")" 0 "no binding was made by any of them"
# A guesser is throttled after SIP_GUARD_MAX_REFUSED failures.
rprobe --from 127.0.0.5 --guesses 22 desk3001 guess >/dev/null
like "$(rprobe --from 127.0.0.5 desk3001 s3cret)" "^SIP/2.0 403 Forbidden" \
    "a password guesser is throttled: even the right password is refused now"
like "$(grep 'throttling 127.0.0.5' "$T/daemon.log")" "sip: throttling 127.0.0.5" "with one log line saying so"
like "$(rprobe --from $STRANGER desk3001 s3cret)" "^SIP/2.0 200 OK" "the right password from another address is accepted"

# 3. Lifetimes: too short is 423, Expires: 0 removes.
like "$(rprobe --from $STRANGER --expires 2 desk3001 s3cret)" "^SIP/2.0 423 Interval Too Brief" \
    "Expires below registrar_min_expires draws 423"
like "$(rprobe --from $STRANGER --expires 2 desk3001 s3cret)" "Min-Expires: 4" "naming Min-Expires"
like "$(rprobe --from $STRANGER --call-id fixed@x desk3001 s3cret)" "^SIP/2.0 200 OK" "a REGISTER (CSeq 2)"
like "$(rprobe --from $STRANGER --call-id fixed@x desk3001 s3cret)" "^SIP/2.0 500" \
    "the same Call-ID with a CSeq not above the binding's is out of order: 500 (RFC 3261 10.3)"
like "$(rprobe --from $STRANGER --expires 0 desk3001 s3cret)" "^SIP/2.0 200 OK" "Expires: 0 is accepted"
is "$(reg_field source | tr ' ' '\n' | grep -c "^$STRANGER:")" 0 "and removes that binding"

# 4. baresip quitting unregisters (Expires: 0); a phone that dies expires.
wait "$PHONE_PID" 2>/dev/null
like "$(grep -a 'Expires: 0\|expires=0' "$T/ok.log" | head -n 1)" "xpires(: |=)0" "baresip quitting sends REGISTER with expires 0"
if wait_until 3 sh -c "! '$SCAIDIAL_CTL' -s '$T/ctl.sock' --json registrations | grep -q desk3001"; then
	ok "and its binding is gone from registrations"
else
	not_ok "and its binding is gone from registrations"; diag "$(ctl registrations)"
fi
like "$(grep 'registrar: extension 3001' "$T/daemon.log" | grep "unregistered <sip:desk3001[^@]*@$PHONE")" \
    "unregistered <sip:desk3001[^@]*@$PHONE" "one log line for its removal"
phone dies 60 "s3cret;regint=5"
wait_until 8 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json registrations | grep -q desk3001"
is "$(reg_field expires_in)" 5 "a phone asking for 5 s gets 5 s"
kill -KILL "$PHONE_PID"; wait "$PHONE_PID" 2>/dev/null
if wait_until 8 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' registrations | grep -q desk3001"; then
	t0=$(date +%s)
	wait_until 9 sh -c "! '$SCAIDIAL_CTL' -s '$T/ctl.sock' registrations | grep -q desk3001"
	rc=$?
else
	rc=1
fi
if [ "$rc" -eq 0 ]; then ok "a phone killed without unregistering expires ($(($(date +%s) - t0)) s after the check)"; else
	not_ok "a phone killed without unregistering expires"; diag "$(ctl registrations)"; fi
like "$(grep 'registrar: extension 3001' "$T/daemon.log" | grep expired)" "expired <sip:desk3001" "with one log line"

# 5. A carrier's call to the DID rings the desk phone. The carrier here is a second baresip
# (on 127.0.0.1, the trunk's address) rather than sipp, because the test must hear what
# each end receives: each plays its own tone and records what it hears.
uac() {
	sed "s/@STATUS@/$1/" "$TOP_SRCDIR/tests/integration/sipp/uac.xml" >"$T/uac$1.xml"
	sipp 127.0.0.1:"$SIP_PORT" -i 127.0.0.1 -p "$(free_port)" -sf "$T/uac$1.xml" -s "$2" \
	    -set from "$3" -m 1 -timeout 15 -timeout_error >"$T/uac.out" 2>&1
}
if uac 480 +15551230001 +15559990001; then ok "no desk phone registered: on_no_answer at once (480)"; else
	not_ok "no desk phone registered: on_no_answer at once (480)"; diag "$(tail -n 5 "$T/uac.out")"; fi
like "$(grep 'desk phone 3001' "$T/daemon.log")" "desk phone 3001 \(tenant acme\) is not registered" \
    "and the log says why"
sox -n -r 8000 -c 1 -b 16 "$T/tone-carrier.wav" synth 30 sine 1000
phone ring 40 "s3cret;regint=60"
wait_until 8 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json registrations | grep -q desk3001"
# bsconf DIR LISTEN TONE: a headless baresip's config; what it decodes is dumped in DIR
# (baresip 1.0.0's aufile has no player: its sndfile filter writes what it decoded).
bsconf() {
	mkdir -p "$1"
	cat >"$1/config" <<EOF2
module_path /usr/lib/baresip/modules
poll_method epoll
net_interface ${2%:*}
sip_listen $2
rtp_ports 37000-37999
audio_source aufile,$3
audio_alert aufile,$1/alert.wav
snd_path $1
module g711.so
module sndfile.so
module aufile.so
module_tmp uuid.so
module_tmp account.so
module_app menu.so
EOF2
	: >"$1/contacts"
}
d=$T/bs-carrier
mkdir -p "$d"
cat >"$d/config" <<EOF2
module_path /usr/lib/baresip/modules
poll_method epoll
net_interface 127.0.0.1
sip_listen 127.0.0.1:$(free_port)
rtp_ports 37000-37999
audio_source aufile,$T/tone-carrier.wav
audio_alert aufile,$d/alert.wav
snd_path $d
module g711.so
module sndfile.so
module aufile.so
module_tmp uuid.so
module_tmp account.so
module_app menu.so
EOF2
echo "<sip:+15559990002@127.0.0.1>;regint=0;audio_codecs=PCMU" >"$d/accounts"
: >"$d/contacts"
baresip -f "$d" -s -t 9 -e "/dial sip:+15551230001@127.0.0.1:$SIP_PORT
" </dev/null >"$T/carrier.log" 2>&1
sleep 1
# freq WAV: "HZ MS": the tone's frequency from zero crossings counted only in loud 20 ms
# frames (a loaded machine leaves gaps in relayed audio; silence must not lower the
# estimate), and the file's length.
freq() {
	python3 - "$1" <<'PY'
import array, sys, wave
with wave.open(sys.argv[1]) as w:
    rate, n = w.getframerate(), w.getnframes()
    s = array.array("h", w.readframes(n))
peak = max((abs(x) for x in s), default=0)
fl, cross, loud = rate // 50, 0, 0
for i in range(0, len(s) - fl, fl):
    f = s[i:i + fl]
    if max(abs(x) for x in f) < peak / 4:
        continue
    loud += fl
    cross += sum(1 for k in range(max(i, 1), i + fl) if (s[k - 1] < 0) != (s[k] < 0))
print("%.0f %d" % (cross / 2 / (loud / rate) if loud else 0, n * 1000 // rate if rate else 0))
PY
}
like "$(grep -a 'SIP/2.0 180' "$T/carrier.log" | head -n 1)" "180 Ringing" "the carrier hears 180 Ringing"
like "$(grep -a '^INVITE sip:desk3001' "$T/ring.log" | head -n 1)" "^INVITE sip:desk3001[^@]*@$PHONE" \
    "the desk phone gets an INVITE to the contact it registered"
like "$(grep -a 'SIP/2.0 200 OK' "$T/carrier.log" | head -n 1)" "200 OK" "the carrier's call is answered once the phone answers"
# baresip 1.0.0's aufile has no player: its sndfile filter writes what each end decoded.
# Tones are 1000 and 700 Hz; +-40 Hz tells them apart and allows for the gaps a loaded
# machine leaves (wavfreq counts zero crossings over the loud stretch).
set -- $(freq "$(ls "$T"/bs-ring/dump-*-dec.wav 2>/dev/null | head -n 1)" 2>/dev/null) 0 0
if [ $(($1 - 1000)) -le 40 ] && [ $((1000 - $1)) -le 40 ] && [ "$2" -ge 3000 ]; then
	ok "the desk phone hears the carrier's 1000 Hz ($1 Hz, $2 ms)"
else
	not_ok "the desk phone hears the carrier's 1000 Hz (got $1 Hz, $2 ms)"; diag "$(grep -a 'ring\|call' "$T/ring.log" | tail -n 8)"
fi
set -- $(freq "$(ls "$d"/dump-*-dec.wav 2>/dev/null | head -n 1)" 2>/dev/null) 0 0
if [ $(($1 - 700)) -le 40 ] && [ $((700 - $1)) -le 40 ] && [ "$2" -ge 3000 ]; then
	ok "the carrier hears the desk phone's 700 Hz ($1 Hz, $2 ms)"
else
	not_ok "the carrier hears the desk phone's 700 Hz (got $1 Hz, $2 ms)"
fi
wait_until 3 sh -c "[ -n \"\$(sqlite3 '$T/state/scaidial.db' \"select cause from calls where caller = '+15559990002'\")\" ]"
is "$(sqlite3 "$T/state/scaidial.db" "select c.cause || ' ' || group_concat(l.kind || ':' || (l.answered_ms > 0), ' ') from calls c join call_legs l on l.call_id = c.id where c.caller = '+15559990002' order by l.started_ms")" \
    "caller_bye sip:1 sip:1" "the call is recorded: caller's BYE ended it, both legs answered"
# The same with sipp as the carrier (it streams a 1300 Hz tone and hangs up itself; sipp
# cannot record what it hears, so only the phone's side is checked here).
sox -n -r 8000 -c 1 -e u-law "$T/tone-1300.wav" synth 6 sine 1300
rm -f "$T"/bs-ring/dump-*
sed -e "s|@TONE@|$T/tone-1300.wav|; s/@WAIT@/5000/" "$TOP_SRCDIR/tests/integration/sipp/uac_talk.xml" >"$T/talk.xml"
uac_talk() {
	sipp 127.0.0.1:"$SIP_PORT" -i 127.0.0.1 -p "$(free_port)" -mp "$(free_port)" -sf "$T/talk.xml" \
	    -s +15551230001 -set from "$1" -m 1 -timeout 20 -timeout_error >"$T/talk.out" 2>&1
}
if uac_talk +15559990003; then
	ok "sipp's call rings the desk phone, is answered by it and hung up by sipp"
else
	not_ok "sipp's call rings the desk phone and is answered"; diag "$(tail -n 8 "$T/talk.out")"
fi
sleep 1
set -- $(freq "$(ls "$T"/bs-ring/dump-*-dec.wav 2>/dev/null | head -n 1)" 2>/dev/null) 0 0
if [ $(($1 - 1300)) -le 40 ] && [ $((1300 - $1)) -le 40 ] && [ "$2" -ge 3000 ]; then
	ok "the desk phone hears sipp's 1300 Hz ($1 Hz, $2 ms)"
else
	not_ok "the desk phone hears sipp's 1300 Hz (got $1 Hz, $2 ms)"
fi
like "$(grep 'digit # to the desk phone' "$T/daemon.log")" "digit # to the desk phone" \
    "the carrier's '#' (RFC 4733) is sent on to the desk phone"
like "$(grep -a "received event: '#' (end=1)" "$T/ring.log")" "received event: '#'" \
    "and the phone receives it as an RFC 4733 event"
kill "$PHONE_PID" 2>/dev/null; wait "$PHONE_PID" 2>/dev/null
wait_until 5 sh -c "! '$SCAIDIAL_CTL' -s '$T/ctl.sock' registrations | grep -q desk3001"

# Over TCP the phone is reached through the connection its REGISTER came in on (its
# source port, not its Contact's): what a phone behind NAT needs.
rm -f "$T"/bs-tcp/dump-*
phone tcp 30 "s3cret;regint=60"
sed -i "s/;transport=udp>/;transport=tcp>/" "$T/bs-tcp/accounts"
kill "$PHONE_PID" 2>/dev/null; wait "$PHONE_PID" 2>/dev/null
wait_until 5 sh -c "! '$SCAIDIAL_CTL' -s '$T/ctl.sock' registrations | grep -q desk3001"
baresip -f "$T/bs-tcp" -s -t 30 </dev/null >"$T/tcp.log" 2>&1 &
PHONE_PID=$!
wait_until 8 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json registrations | grep -q desk3001"
set -- $(reg_field source transport contact)
# baresip connects from 127.0.0.1 whatever its interface: the source differs from the
# Contact in address and port, as behind NAT.
like "$*" "^127\.0\.0\.1:[0-9]+ tcp sip:desk3001[^@]*@$PHONE:[0-9]+;transport=tcp" \
    "a phone registers over TCP; its source ($1) is not its Contact's address"
if uac_talk +15559990005 && sleep 1 && [ -n "$(ls "$T"/bs-tcp/dump-*-dec.wav 2>/dev/null)" ]; then
	set -- $(freq "$(ls "$T"/bs-tcp/dump-*-dec.wav | head -n 1)") 0 0
	if [ $(($1 - 1300)) -le 40 ] && [ $((1300 - $1)) -le 40 ]; then
		ok "rung over its TCP connection, it answers and hears sipp's 1300 Hz ($1 Hz)"
	else
		not_ok "rung over TCP, it hears sipp's 1300 Hz (got $1 Hz)"
	fi
else
	not_ok "rung over its TCP connection, it answers"; diag "$(tail -n 8 "$T/talk.out")" "$(grep 'desk phone\|outbound leg' "$T/daemon.log" | tail -n 4)"
fi
kill "$PHONE_PID" 2>/dev/null; wait "$PHONE_PID" 2>/dev/null
wait_until 5 sh -c "! '$SCAIDIAL_CTL' -s '$T/ctl.sock' registrations | grep -q desk3001"

# A phone that rings and is not answered: after the rule's timeout (5 s), on_no_answer.
phone noans 20 "s3cret;regint=60;answermode=manual"
wait_until 8 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json registrations | grep -q desk3001"
t0=$(date +%s)
if uac 480 +15551230001 +15559990004; then ok "an unanswered desk phone: on_no_answer (hangup, 480) after $(($(date +%s) - t0)) s"; else
	not_ok "an unanswered desk phone: on_no_answer (480)"; diag "$(tail -n 5 "$T/uac.out")"; fi
like "$(grep -a '^INVITE sip:desk3001' "$T/noans.log" | head -n 1)" "^INVITE" "the phone was rung"
wait_until 3 sh -c "sqlite3 '$T/state/scaidial.db' \"select 1 from calls where caller = '+15559990004' and ended_ms > 0\" | grep -q 1"
is "$(sqlite3 "$T/state/scaidial.db" "select c.cause || ' ' || group_concat(l.cause || ':' || l.sip_status, ' ') from calls c join call_legs l on l.call_id = c.id where c.caller = '+15559990004' order by l.started_ms")" \
    "dialplan_hangup dialplan_hangup:480 timeout:408" "recorded: the phone's leg ended by timeout (408), the call by the on_no_answer hangup (480)"
like "$(grep -a 'CANCEL sip:desk3001' "$T/noans.log" | head -n 1)" "^CANCEL" "and the phone got a CANCEL"
kill "$PHONE_PID" 2>/dev/null; wait "$PHONE_PID" 2>/dev/null

# 6. A desk phone dials out: challenged (407), the number checked against the tenant's
# outbound_allow, called through the tenant's trunk (a baresip carrier on the trunk's
# address, answering by itself), the media relayed both ways.
bsconf "$T/bs-carrier2" "127.0.0.1:$CARRIER_PORT" "$T/tone-carrier.wav"
# baresip answers only requests for its account's user: the dialled number.
echo "<sip:+15557654321@127.0.0.1:$CARRIER_PORT>;regint=0;answermode=auto;audio_codecs=PCMU" >"$T/bs-carrier2/accounts"
baresip -f "$T/bs-carrier2" -s -t 20 </dev/null >"$T/carrier2.log" 2>&1 &
CARRIER_PID=$!
bsconf "$T/bs-dial" "$PHONE:$(free_port)" "$T/tone-phone.wav"
echo "<sip:desk3001@127.0.0.1:$SIP_PORT;transport=udp>;auth_pass=s3cret;regint=0;audio_codecs=PCMU" >"$T/bs-dial/accounts"
sleep 1
baresip -f "$T/bs-dial" -s -t 8 -e "/dial sip:+15557654321@127.0.0.1:$SIP_PORT
" </dev/null >"$T/dial.log" 2>&1
like "$(grep -a 'SIP/2.0 407' "$T/dial.log" | head -n 1)" "407 Proxy Authentication Required" \
    "a desk phone's INVITE is challenged (407)"
like "$(grep -a '^INVITE sip:+15557654321@127.0.0.1' "$T/carrier2.log" | head -n 1)" "^INVITE sip:\+15557654321@127.0.0.1:$CARRIER_PORT" \
    "once answered, the number is called through the tenant's trunk"
like "$(grep -a -A12 '^INVITE sip:+15557654321' "$T/carrier2.log" | grep -a '^From:' | head -n 1)" "sip:\+15551230001@" \
    "with the trunk's DID as caller ID"
like "$(grep -a 'SIP/2.0 200' "$T/dial.log" | head -n 1)" "200" "the desk phone's call is answered when the carrier answers"
set -- $(freq "$(ls "$T"/bs-dial/dump-*-dec.wav 2>/dev/null | head -n 1)" 2>/dev/null) 0 0
if [ $(($1 - 1000)) -le 40 ] && [ $((1000 - $1)) -le 40 ] && [ "$2" -ge 3000 ]; then
	ok "the dialling desk phone hears the carrier's 1000 Hz ($1 Hz, $2 ms)"
else
	not_ok "the dialling desk phone hears the carrier's 1000 Hz (got $1 Hz, $2 ms)"; diag "$(tail -n 15 "$T/dial.log")"
fi
set -- $(freq "$(ls "$T"/bs-carrier2/dump-*-dec.wav 2>/dev/null | head -n 1)" 2>/dev/null) 0 0
if [ $(($1 - 700)) -le 40 ] && [ $((700 - $1)) -le 40 ] && [ "$2" -ge 3000 ]; then
	ok "the carrier hears the desk phone's 700 Hz ($1 Hz, $2 ms)"
else
	not_ok "the carrier hears the desk phone's 700 Hz (got $1 Hz, $2 ms)"
fi
wait_until 3 sh -c "sqlite3 '$T/state/scaidial.db' \"select 1 from calls where callee = '+15557654321' and ended_ms > 0\" | grep -q 1"
is "$(sqlite3 "$T/state/scaidial.db" "select direction || ' ' || caller || ' ' || trunk || ' ' || action || ' ' || (answered_ms > 0) from calls where callee = '+15557654321'")" \
    "outbound +15551230001 carrier1 desk_dial 1" "the call is recorded: outbound, caller ID, trunk, answered"
# A number the tenant may not call is refused before anything leaves.
n=$(grep -a -c '^INVITE ' "$T/carrier2.log")
baresip -f "$T/bs-dial" -s -t 3 -e "/dial sip:+447700900123@127.0.0.1:$SIP_PORT
" </dev/null >"$T/dial2.log" 2>&1
like "$(grep -a 'SIP/2.0 403' "$T/dial2.log" | head -n 1)" "403 Forbidden" "a number outbound_allow does not name is refused (403)"
is "$(grep -a -c '^INVITE ' "$T/carrier2.log")" "$n" "and no INVITE reached the carrier"
like "$(grep 'dials "+447700900123"' "$T/daemon.log")" "refused, not allowed by the tenant's policy.outbound_allow" "the log says why"
kill "$CARRIER_PID" 2>/dev/null; wait "$CARRIER_PID" 2>/dev/null

# 7. A reload keeps the bindings of unchanged extensions and drops the others.
rprobe --from $STRANGER --expires 300 desk3001 s3cret >/dev/null
rprobe --from $STRANGER --expires 300 desk4001 other >/dev/null
is "$(reg_field extension | tr ' ' '\n' | sort | tr '\n' ' ')" "3001 4001 " "two desk phones registered"
conf "changed"
out=$(ctl reload)
like "$out" "loaded" "a reload changing 3001's password is loaded"
is "$(reg_field extension tenant)" "4001 beta" "4001 (unchanged) keeps its binding, 3001's is dropped"
like "$(grep 'registrar: extension 3001' "$T/daemon.log" | grep dropped)" "dropped .*: its credentials changed" \
    "the drop is logged with its reason"
like "$(rprobe --from $STRANGER desk3001 s3cret)" "^SIP/2.0 403" "the old password is refused now"
like "$(rprobe --from $STRANGER desk3001 changed)" "^SIP/2.0 200 OK" "and the new one accepted"

# 8. The event log in the store.
sleep 0.5
rows=$(sqlite3 "$T/state/scaidial.db" "select state || ':' || tenant || ':' || coalesce(user_agent,'') from registrations where extension = '3001' order by id" | tr '\n' ' ')
like "$rows" "^registered:acme:baresip v1.0.0 .*unregistered:acme.*registered:acme.*expired:acme.*dropped:acme" \
    "registrations rows: registered, unregistered, expired, dropped, with tenant and user agent"
like "$(sqlite3 "$T/state/scaidial.db" "select trunk || '|' || source || '|' || contact from registrations where extension = '3001' order by id limit 1")" \
    "^\|$PHONE:[0-9]+/udp\|sip:desk3001" "each with where the REGISTER came from and the contact"

# 9. Usernames are unique across tenants: a reload that repeats one is refused with FILE:LINE.
sed -i 's/username = "desk4001"/username = "desk3001"/' "$T/etc/scaidial.conf"
out=$(ctl reload 2>&1)
like "$out" "scaidial.conf:[0-9]+: extension \"4001\": username \"desk3001\" is already the username of extension \"3001\"" \
    "a username used twice is refused at reload, with FILE:LINE"

stop_daemon
is "$STOP_RC" 0 "the daemon stops cleanly"
done_testing
