#!/bin/sh
# SIP against real peers: sipp as the carrier's registrar (401 challenge, digest checked,
# refresh, Expires: 0 on stop), as a registrar that refuses (backoff), as a peer answering
# OPTIONS, and as the caller for each dialplan path; raw probes from an address no trunk
# allows check that every refusal looks the same; the records land in the database.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 150

SIPP_DIR=$TOP_SRCDIR/tests/integration/sipp
probe() { python3 "$TOP_SRCDIR/tests/integration/sip_probe.py" "$@"; }
if ! command -v sipp >/dev/null 2>&1; then
	not_ok "sipp is installed (contrib/dev/deps.sh test installs sip-tester)"
	done_testing
fi
cd "$T" || exit 1

# The carrier is 127.0.0.3; 127.0.0.1 and 127.0.0.2 are strangers.
CARRIER=127.0.0.3
REG_PORT=$(free_port)
REJ_PORT=$(free_port)
PEER_PORT=$(free_port)
write_config
cat >"$T/etc/scaidial.conf" <<EOF
general: {
  sip_listen = [ "udp:127.0.0.1:$SIP_PORT", "tcp:127.0.0.1:$SIP_PORT" ];
  database = "$T/state/scaidial.db"; spool_dir = "$T/spool"; control_socket = "$T/ctl.sock";
  log_level = "debug";
};
livekit: { url = "ws://127.0.0.1:7880"; api_key = "devkey"; api_secret = "secret"; };
webhooks: { secret = "test"; wave_ring = "http://127.0.0.1:18088/ring"; };
tenants = ( { id = "acme"; name = "Acme"; policy = { outbound_allow = [ "+1*" ]; }; } );
trunks = (
  { id = "carrier1"; tenant = "acme"; mode = "register"; registrar = "sip:$CARRIER:$REG_PORT";
    username = "acme-main"; password = "s3cret"; expires = 60; },
  { id = "carrier2"; tenant = "acme"; mode = "register"; registrar = "sip:$CARRIER:$REJ_PORT";
    username = "acme-other"; password = "wrong"; expires = 60; },
  { id = "peer1"; tenant = "acme"; mode = "peer"; address = "sip:$CARRIER:$PEER_PORT";
    allowed_addresses = [ "$CARRIER/32" ]; }
);
dids = (
  { number = "+15551230001"; trunk = "carrier1"; dialplan = "main"; },
  { number = "+15551230002"; trunk = "peer1"; dialplan = "fwd"; },
  { number = "+15551230003"; trunk = "peer1"; dialplan = "busy"; }
);
extensions = ( { id = "1001"; tenant = "acme"; type = "wave"; user = "alice@acme"; } );
dialplans = (
  { id = "main"; tenant = "acme"; rules = (
      { priority = 10; match = { caller = "^\\\\+1555999"; }; action = "hangup"; status = 603; },
      { priority = 20; action = "ring_extension"; extension = "1001"; timeout = 20; on_no_answer = "hangup"; } ); },
  { id = "fwd"; tenant = "acme"; rules = (
      { priority = 10; action = "forward"; target = "+15557654321"; method = "bridge"; } ); },
  { id = "busy"; tenant = "acme"; rules = ( { priority = 10; action = "hangup"; status = 486; } ); }
);
EOF

# The carrier's side, each bounded by its own timeout.
sipp -i $CARRIER -p "$REG_PORT" -sf "$SIPP_DIR/registrar.xml" -set user acme-main \
    -set pass s3cret -set expires 4 -m 1 -timeout 90 -timeout_error -trace_msg \
    -message_file "$T/registrar.msg" >"$T/registrar.out" 2>&1 &
REG_PID=$!
sipp -i $CARRIER -p "$REJ_PORT" -sf "$SIPP_DIR/registrar_reject.xml" -m 5 -timeout 60 \
    -trace_msg -message_file "$T/reject.msg" >"$T/reject.out" 2>&1 &
REJ_PID=$!
sipp -i $CARRIER -p "$PEER_PORT" -sf "$SIPP_DIR/options_uas.xml" -m 1 -timeout 60 \
    >"$T/peer.out" 2>&1 &
PEER_PID=$!
sleep 0.3

start_daemon || { not_ok "daemon starts with SIP listeners"; done_testing; }
ok "daemon starts with UDP and TCP listeners"

# trunk_get ID FIELD: a field of the trunk's registration or keepalive in `trunks --json`.
trunk_get() {
	ctl --json trunks | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["id"] == sys.argv[1]:
        s = t.get("registration") or t.get("keepalive") or {}
        print(s.get(sys.argv[2], ""))' "$1" "$2"
}
trunk_is() { [ "$(trunk_get "$1" "$2")" = "$3" ]; }

if wait_until 5 trunk_is carrier1 state registered; then
	ok "carrier1 registers after a 401 challenge (the registrar checked the digest)"
else
	not_ok "carrier1 registers after a 401 challenge"; diag "$(ctl trunks)"
fi
if wait_until 8 grep -q "trunk carrier1: refreshed" "$T/daemon.log"; then
	ok "the binding is refreshed before the 4 s the registrar granted run out"
else
	not_ok "the binding is refreshed before it expires"
fi
like "$(ctl trunks)" "carrier1 .* registered \\(200 OK\\)" "scaidial-ctl trunks shows the registration"
if wait_until 5 trunk_is peer1 up True; then ok "the peer answers our OPTIONS keepalive"; else
	not_ok "the peer answers our OPTIONS keepalive"; diag "$(ctl trunks)"; fi

# A registrar that refuses: failed, and the next try only after a backoff.
if wait_until 5 trunk_is carrier2 status 403; then ok "a 403 leaves carrier2 failed"; else
	not_ok "a 403 leaves carrier2 failed"; fi
if wait_until 8 grep -q "trunk carrier2: registration failed: 403 .*(failure 2)" "$T/daemon.log"; then
	gap=$(grep "trunk carrier2: registration failed" "$T/daemon.log" | head -n 2 | python3 -c '
import sys, datetime
t = [datetime.datetime.strptime(l.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ") for l in sys.stdin]
print(int((t[1] - t[0]).total_seconds() * 1000))')
	if [ "$gap" -ge 3000 ]; then ok "the retry after a 403 waits (${gap} ms, backoff >= 3.2 s)"; else
		not_ok "the retry after a 403 waits"; diag "gap ${gap} ms"; fi
else
	not_ok "a refused registration is retried"
fi

# uac STATUS NUMBER CALLER: sipp calls NUMBER as CALLER and expects the final STATUS.
uac() {
	sed "s/@STATUS@/$1/" "$SIPP_DIR/uac.xml" >"$T/uac$1.xml"
	sipp 127.0.0.1:"$SIP_PORT" -i $CARRIER -p "$(free_port)" -sf "$T/uac$1.xml" -s "$2" \
	    -set from "$3" -m 1 -timeout 10 -timeout_error -trace_msg \
	    -message_file "$T/uac-$2-$1.msg" >"$T/uac.out" 2>&1
}
cdr_last() {
	ctl --json cdr --limit 1 | python3 -c '
import json, sys
c = json.load(sys.stdin)[0]
print(" ".join(str(c.get(k)) for k in sys.argv[1:]))' "$@"
}
cdr_has() { ctl --json cdr --limit 1 | grep -q "$1"; }

if uac 603 +15551230001 +15559990000; then ok "a blocked caller gets the rule's 603"; else
	not_ok "a blocked caller gets the rule's 603"; diag "$(tail -n 5 "$T/uac.out")"; fi
check "100 Trying came first" grep -q "SIP/2.0 100 Trying" "$T/uac-+15551230001-603.msg"
wait_until 2 cdr_has dialplan_hangup
is "$(cdr_last trunk did from cause sip_status action)" "carrier1 +15551230001 +15559990000 dialplan_hangup 603 hangup" \
    "the call record names trunk, DID, caller, cause, status and action"
if uac 480 +15551230001 +15557770000; then ok "ring_extension with no LiveKit server to make the room: on_no_answer hangup (480)"; else
	not_ok "ring_extension with no LiveKit server: 480"; fi
check "180 Ringing came before it" grep -q "SIP/2.0 180 Ringing" "$T/uac-+15551230001-480.msg"
like "$(grep 'ring: call' "$T/daemon.log" | grep 'not created')" "room call-.* not created" "and the log says the room could not be made"
# The peer's sipp answered one OPTIONS and is gone: the bridge's INVITE draws an ICMP error
# (forward-bridge.sh tests the bridge itself).
if uac 480 +15551230002 +15557770000; then ok "forward by bridge to a peer that is not there: 480"; else
	not_ok "forward by bridge to a peer that is not there: 480"; fi
if uac 486 +15551230003 +15557770000; then ok "a hangup rule's status (486) reaches the carrier"; else
	not_ok "a hangup rule's status (486) reaches the carrier"; fi
if uac 486 15551230003 +15557770000; then ok "the DID is found without its +"; else
	not_ok "the DID is found without its +"; fi

# Strangers learn nothing: one answer for an unknown number, an unknown address, any user.
to=127.0.0.1:$SIP_PORT
a1=$(probe ask --to "$to" --from $CARRIER INVITE +15550000000)
a2=$(probe ask --to "$to" --from 127.0.0.2 INVITE +15551230001)
a3=$(probe ask --to "$to" --from 127.0.0.2 REGISTER 1001)
a4=$(probe ask --to "$to" --from 127.0.0.2 REGISTER 9999)
a5=$(probe ask --to "$to" --from 127.0.0.2 OPTIONS 1001)
a6=$(probe ask --tcp --to "$to" --from 127.0.0.2 INVITE 1001)
like "$a1" "^SIP/2.0 403 Forbidden" "an unknown number is refused with 403"
if [ "$a1" = "$a2" ] && [ "$a2" = "$a3" ] && [ "$a3" = "$a4" ] && [ "$a4" = "$a5" ] && [ "$a5" = "$a6" ]; then
	ok "unknown number, unknown address, REGISTER for any user, OPTIONS, TCP: one identical answer"
else
	not_ok "refusals are identical"; diag "$a1" "---" "$a2" "---" "$a3" "---" "$a5" "---" "$a6"
fi
like "$(grep 'sip: refused' "$T/daemon.log" | head -n 1)" "sip: refused INVITE from $CARRIER: unknown number" \
    "each refusal is one stable log line with the source address"
like "$(probe ask --to "$to" --from $CARRIER OPTIONS keepalive)" "^SIP/2.0 200 OK" "OPTIONS from a trunk's address is answered 200"
is "$(printf '%s\n' "$a1" | wc -l | tr -d ' ')" 1 "a refusal carries no header beyond the transaction's own (no User-Agent)"

# SIPVicious, from 127.0.0.1 (no trunk allows it): the numbers and users it tries, known
# or not, all look alike, so it finds nothing.
if command -v svwar >/dev/null 2>&1; then
	printf '%s\n' +15551230001 15551230001 +15551230003 1001 2001 3001 100 admin >"$T/dict.txt"
	out=$(timeout 60 svwar --force -P "$(free_port)" --maximumtime=3 -p "$SIP_PORT" -d "$T/dict.txt" -m INVITE 127.0.0.1 2>&1)
	like "$out" "found nothing" "svwar INVITE over the DIDs and extensions finds nothing"
	out=$(timeout 60 svwar --force -P "$(free_port)" --maximumtime=3 -p "$SIP_PORT" -e 1000-1010,2000-2010 127.0.0.1 2>&1)
	like "$out" "found nothing" "svwar REGISTER over extension ranges finds nothing"
	out=$(timeout 60 svwar --force -P "$(free_port)" --maximumtime=3 -p "$SIP_PORT" -d "$T/dict.txt" -m OPTIONS 127.0.0.1 2>&1)
	like "$out" "found nothing" "svwar OPTIONS finds nothing"
	out=$(timeout 60 svmap -P "$(free_port)" -p "$SIP_PORT" 127.0.0.1 2>&1)
	if printf '%s' "$out" | grep -q scaidial; then not_ok "svmap learns no product name"; diag "$out"; else
		ok "svmap learns no product name (it sees that something answers SIP)"; fi
else
	not_ok "svwar is installed (contrib/dev/deps.sh test installs sipvicious)"
fi

# The fail2ban filter shipped in contrib/ matches the refusal lines.
if command -v fail2ban-regex >/dev/null 2>&1; then
	out=$(fail2ban-regex "$T/daemon.log" "$TOP_SRCDIR/contrib/fail2ban/filter.d/scaidial.conf" 2>&1)
	like "$out" "Failregex: [1-9][0-9]* total" "fail2ban-regex matches the refusals with contrib/fail2ban/filter.d/scaidial.conf"
	n=$(grep -c "sip: refused" "$T/daemon.log")
	like "$out" "Lines: .* $n matched" "every refusal line, and nothing else, matches ($n)"
else
	not_ok "fail2ban-regex is installed (contrib/dev/deps.sh test installs fail2ban)"
fi

rows=$(sqlite3 "$T/state/scaidial.db" "select state || ':' || sip_status from registrations where trunk = 'carrier1' order by id" | tr '\n' ' ')
like "$rows" "registering:0 registered:200" "registration states are written to the registrations table"

# A carrier's burst is its own business; a stranger's is throttled.
sed "s/@STATUS@/603/" "$SIPP_DIR/uac.xml" >"$T/uac-burst.xml"
if sipp 127.0.0.1:"$SIP_PORT" -i $CARRIER -p "$(free_port)" -sf "$T/uac-burst.xml" -s +15551230001 \
    -set from +15559990000 -r 200 -m 600 -timeout 30 -timeout_error >"$T/burst.out" 2>&1; then
	ok "600 calls from the carrier at 200/s are all answered by the dialplan (no throttling)"
else
	not_ok "600 calls from the carrier at 200/s are all answered"; diag "$(tail -n 5 "$T/burst.out")"
fi
for i in $(seq 30); do probe ask --to "$to" --from 127.0.0.2 OPTIONS "x$i" >/dev/null; done
like "$(grep 'throttling' "$T/daemon.log")" "sip: throttling 127.0.0.2: .* refused in 10 s" \
    "a stranger drawing more than 20 refusals in 10 s is throttled (one log line)"
like "$(probe ask --to "$to" --from 127.0.0.2 INVITE +15551230001)" "^SIP/2.0 403 Forbidden" \
    "and keeps getting the same answer"

# A reload re-registers only the trunk whose registration settings changed.
before=$(grep -c "trunk carrier1: registering at" "$T/daemon.log")
sed -i 's/password = "wrong";/password = "still-wrong";/' "$T/etc/scaidial.conf"
if wait_until 3 grep -q "trunk carrier2: registration settings changed" "$T/daemon.log"; then
	ok "a changed password re-registers that trunk"; else not_ok "a changed password re-registers that trunk"; fi
is "$(grep -c "trunk carrier1: registering at" "$T/daemon.log")" "$before" "the other trunk keeps its binding (no new REGISTER)"
check "and stays registered" trunk_is carrier1 state registered
NEW_PORT=$(free_port)
sed -i "s/\"udp:127.0.0.1:$SIP_PORT\", \"tcp:127.0.0.1:$SIP_PORT\"/\"udp:127.0.0.1:$NEW_PORT\", \"tcp:127.0.0.1:$NEW_PORT\"/" "$T/etc/scaidial.conf"
wait_until 3 grep -q "sip: sip_listen changed" "$T/daemon.log"
like "$(ctl status)" "sip listening +sip:127.0.0.1:$SIP_PORT \\(sip_listen changed: restart to apply\\)" \
    "a changed sip_listen is reported as needing a restart; the listeners in force stay"
like "$(probe ask --to "$to" --from $CARRIER OPTIONS keepalive)" "^SIP/2.0 200 OK" "and keep answering"

m=$(ctl metrics)
like "$m" 'scaidial_registrations\{state="registered"\} 1' "metrics count the registered trunk"
like "$m" 'scaidial_registrations\{state="failed"\} 1' "and the failed one"
like "$m" 'scaidial_sip_refused_total\{throttled="no"\} [1-9]' "metrics count the refusals"
like "$m" 'scaidial_sip_refused_total\{throttled="yes"\} [1-9]' "and the throttled ones"

check "daemon still running" daemon_alive
stop_daemon
is "$STOP_RC" 0 "SIGTERM stops the daemon with status 0"
if wait "$REG_PID"; then ok "the registrar saw the binding removed with Expires: 0 on stop"; else
	not_ok "the registrar saw the binding removed with Expires: 0 on stop"; diag "$(tail -n 5 "$T/registrar.out")"; fi
rows=$(sqlite3 "$T/state/scaidial.db" "select state from registrations where trunk = 'carrier1' order by id desc limit 1")
is "$rows" "unregistered" "the removal is recorded"
kill "$REJ_PID" "$PEER_PID" 2>/dev/null
done_testing
