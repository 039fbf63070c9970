#!/bin/sh
# Desk phones: baresip (Debian baresip-core, headless, configured only by files under $T)
# registers on 127.0.0.3 as extension 3001 with digest auth and is listed by
# `scaidial-ctl registrations`; a wrong password and an unknown user get the same answers
# on the wire; Expires: 0 and expiry remove bindings; a reload keeps or drops them.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 150

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
  sip_listen = [ "udp:127.0.0.1:$SIP_PORT" ];
  database = "$T/state/scaidial.db"; spool_dir = "$T/spool"; control_socket = "$T/ctl.sock";
  log_level = "debug"; rtp_ports = [ 34000, 34999 ];
  registrar_min_expires = 4; registrar_max_expires = 600;
};
tenants = ( { id = "acme"; name = "Acme"; }, { id = "beta"; name = "Beta"; } );
trunks = ( { id = "carrier1"; tenant = "acme"; mode = "peer"; address = "sip:127.0.0.1:$CARRIER_PORT";
    allowed_addresses = [ "127.0.0.1/32" ]; codecs = [ "PCMU" ]; } );
dids = ( { number = "+15551230001"; trunk = "carrier1"; dialplan = "desk"; } );
extensions = ( { id = "3001"; tenant = "acme"; type = "sip"; username = "desk3001"; password = "$1"; },
  { id = "4001"; tenant = "beta"; type = "sip"; username = "desk4001"; password = "other"; } );
dialplans = ( { id = "desk"; tenant = "acme";
    rules = ( { priority = 10; action = "ring_extension"; extension = "3001"; timeout = 8;
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
audio_player aufile,$d/heard.wav
audio_alert aufile,$d/alert.wav
module g711.so
module aufile.so
module_tmp uuid.so
module_tmp account.so
module_app menu.so
EOF2
	echo "<sip:desk3001@127.0.0.1:$SIP_PORT;transport=udp>;auth_pass=$3;answermode=auto" >"$d/accounts"
	: >"$d/contacts"
	timeout $(($2 + 10)) baresip -f "$d" -s -t "$2" </dev/null >"$T/$1.log" 2>&1 &
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
like "$(grep 'registrar: extension 3001' "$T/daemon.log" | head -n1)" \
    "registrar: extension 3001 \(tenant acme\): registered <sip:desk3001[^@]*@$PHONE" "one log line for the new binding"
done_testing
