#!/bin/sh
# Voicemail from a real SIP phone: baresip (Debian baresip-core), headless, configured only
# by files under $T, on 127.0.0.3, playing a tone WAV with its aufile source. SDES-SRTP
# (menc srtp) on an "optional" and a "required" trunk, plain RTP refused by the "required"
# one, and Opus over SRTP: each stored message is checked by its frequency. baresip hangs
# up itself (-t), so the messages end on the caller's BYE.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 120

if ! command -v baresip >/dev/null 2>&1 || ! command -v sox >/dev/null 2>&1 ||
    [ ! -f /usr/lib/baresip/modules/srtp.so ]; then
	not_ok "baresip (baresip-core) and sox are installed (contrib/dev/deps.sh test)"
	done_testing
fi
cd "$T" || exit 1
PHONE=127.0.0.3
freq() { python3 "$TOP_SRCDIR/tests/integration/wavfreq.py" "$1"; }

sox -n -r 8000 -c 1 -b 16 "$T/tone-1000.wav" synth 8 sine 1000
sox -n -r 8000 -c 1 -b 16 "$T/tone-800.wav" synth 8 sine 800
# baresip 1.0.0 does not convert channels: Opus is opus/48000/2, so the source is stereo.
sox -n -r 48000 -c 2 -b 16 "$T/tone-600-48k.wav" synth 8 sine 600
sox -n -r 8000 -c 1 -b 16 "$T/greet.wav" synth 0.5 sine 440

write_config
cat >"$T/etc/scaidial.conf" <<EOF
general: {
  sip_listen = [ "udp:127.0.0.1:$SIP_PORT" ];
  database = "$T/state/scaidial.db"; spool_dir = "$T/spool"; control_socket = "$T/ctl.sock";
  log_level = "debug"; rtp_ports = [ 34000, 34999 ];
  voicemail_greeting = "$T/greet.wav"; voicemail_silence_seconds = 3; voicemail_max_seconds = 20;
};
tenants = ( { id = "acme"; name = "Acme"; } );
trunks = ( { id = "opt"; tenant = "acme"; mode = "peer"; address = "sip:$PHONE:5060";
    allowed_addresses = [ "$PHONE/32" ]; srtp = "optional"; codecs = [ "opus", "PCMU", "PCMA" ]; },
  { id = "req"; tenant = "acme"; mode = "peer"; address = "sip:$PHONE:5060";
    allowed_addresses = [ "$PHONE/32" ]; srtp = "required"; codecs = [ "PCMA", "PCMU" ]; } );
dids = ( { number = "+15551230001"; trunk = "opt"; dialplan = "vm"; },
  { number = "+15551230002"; trunk = "req"; dialplan = "vm"; } );
extensions = ( { id = "3001"; tenant = "acme"; type = "sip"; username = "3001"; password = "x";
    voicemail = true; } );
dialplans = ( { id = "vm"; tenant = "acme";
    rules = ( { priority = 10; action = "voicemail"; extension = "3001"; } ); } );
EOF
start_daemon || { not_ok "daemon starts"; done_testing; }

# phone NAME DID CALLER TONE ACCOUNT_PARAMS SECONDS: one baresip call, hung up after
# SECONDS; its console and SIP trace go to $T/NAME.log.
phone() {
	local d=$T/bs-$1
	mkdir -p "$d"
	cat >"$d/config" <<EOF
module_path /usr/lib/baresip/modules
poll_method epoll
net_interface $PHONE
sip_listen $PHONE:$(free_port)
rtp_ports 36000-36999
audio_source aufile,$4
audio_player aufile,$d/heard.wav
audio_alert aufile,$d/alert.wav
module g711.so
module opus.so
module aufile.so
module srtp.so
module_tmp uuid.so
module_tmp account.so
module_app menu.so
EOF
	echo "<sip:$3@$PHONE>;regint=0;$5" >"$d/accounts"
	: >"$d/contacts"
	# -e types a command into the menu: the newline submits it.
	timeout $(($6 + 10)) baresip -f "$d" -s -t "$6" -e "/dial sip:$2@127.0.0.1:$SIP_PORT
" </dev/null >"$T/$1.log" 2>&1
}
vm_last() {
	ctl --json voicemail | python3 -c '
import json, sys
m = json.load(sys.stdin)[0]
print(" ".join(str(m.get(k)) for k in sys.argv[1:]))' "$@"
}
# check NAME CALLER HZ WHAT: the newest message is CALLER's and holds HZ for 3.5..8 s.
check() {
	local got f d
	wait_until 5 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json voicemail | grep -q -- '$2'"
	set -- "$@" $(vm_last caller path duration_ms)
	if [ "${5:-}" != "$2" ] || [ ! -f "${6:-/nonexistent}" ]; then
		not_ok "$4: a message from $2 is stored"; diag "$(tail -n 20 "$T/$1.log")"; return
	fi
	got=$(freq "$6")
	f=${got% *}
	d=$7
	if [ $((f - $3)) -le 20 ] && [ $(($3 - f)) -le 20 ] && [ "$d" -ge 3500 ] && [ "$d" -le 8000 ]; then
		ok "$4: ${f} Hz for ${d} ms recorded (want $3 Hz)"
	else
		not_ok "$4: ${f} Hz for ${d} ms recorded (want $3 Hz, 3500..8000 ms)"
	fi
}
# answer_sdp NAME: the SDP of the 200 OK scaidial sent to baresip, from its SIP trace.
answer_sdp() {
	python3 -c '
import re, sys
t = open(sys.argv[1], errors="replace").read()
m = re.search(r"SIP/2.0 200 OK.*?CSeq: \d+ INVITE.*?\r?\n\r?\n(v=0.*?)(?:\r?\n\r?\n|\Z)", t, re.S)
print(m.group(1) if m else "")' "$T/$1.log"
}

# 1. SDES-SRTP on the "optional" trunk, PCMU.
phone srtp-opt +15551230001 +15557770201 "$T/tone-1000.wav" "mediaenc=srtp;audio_codecs=PCMU" 7
like "$(grep 'SRTP is Enabled' "$T/srtp-opt.log")" "cryptosuite=AES_CM_128_HMAC_SHA1_80" \
    "optional trunk: baresip runs SRTP (AES_CM_128_HMAC_SHA1_80)"
like "$(answer_sdp srtp-opt)" "a=crypto:[0-9]+ AES_CM_128_HMAC_SHA1_80 inline:" \
    "scaidial's answer carries its own SDES key"
check srtp-opt +15557770201 1000 "SRTP/PCMU on an optional trunk"

# 2. SRTP mandatory (RTP/SAVP) on the "required" trunk, PCMA.
phone srtp-req +15551230002 +15557770202 "$T/tone-800.wav" "mediaenc=srtp-mand;audio_codecs=PCMA" 7
like "$(answer_sdp srtp-req)" "m=audio [0-9]+ RTP/SAVP 8" "required trunk: answered RTP/SAVP with PCMA"
check srtp-req +15557770202 800 "SRTP/PCMA on a required trunk"

# 3. Plain RTP on the "required" trunk is refused; nothing is recorded.
phone plain-req +15551230002 +15557770203 "$T/tone-1000.wav" "audio_codecs=PCMU" 3
like "$(grep -a 'SIP/2.0 488' "$T/plain-req.log" | head -n 1)" "488" \
    "required trunk: plain RTP draws 488"
wait_until 3 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json cdr --limit 1 | grep -q 15557770203"
is "$(ctl --json cdr --limit 1 | python3 -c 'import json,sys; c=json.load(sys.stdin)[0]; print(c["from"], c["sip_status"])')" \
    "+15557770203 488" "and the call is recorded as refused with 488"
is "$(ctl --json voicemail | python3 -c 'import json,sys; print(sum(1 for m in json.load(sys.stdin) if m["caller"] == "+15557770203"))')" \
    0 "and no message is stored for it"

# 4. Opus (48 kHz) over SRTP.
phone opus +15551230001 +15557770204 "$T/tone-600-48k.wav" "mediaenc=srtp;audio_codecs=opus/48000/2" 7
like "$(grep 'Set audio encoder' "$T/opus.log")" "opus 48000Hz" "baresip sends Opus"
like "$(answer_sdp opus)" "a=rtpmap:[0-9]+ opus/48000/2" "scaidial answers Opus"
check opus +15557770204 600 "Opus over SRTP"
like "$(python3 -c 'import wave,sys; print(wave.open(sys.argv[1]).getframerate())' "$(vm_last path)")" \
    "^48000$" "the Opus message is stored at 48 kHz"

diag "$(ctl metrics | grep -E '^scaidial_(rtp_dropped_total|media_sessions_total)' | tr '\n' ' ')"
stop_daemon
is "$STOP_RC" 0 "the daemon stops cleanly"
done_testing
