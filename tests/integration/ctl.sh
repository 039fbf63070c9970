#!/bin/sh
# The admin socket and scaidial-ctl: every command in text and --json, exit statuses,
# socket mode, concurrency, the client limit, and hostile input (random bytes, oversized
# lines, NUL bytes, silent clients, clients that hang up mid-answer). After each abuse the
# daemon must still be running and answering.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 180

conf=$T/etc/scaidial.conf
sock=$T/ctl.sock

# raw [shut]: sends stdin to the socket as is (half-closing after it with "shut"), prints
# whatever the daemon answers.
cat >"$T/raw.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sys.argv[1])
try:
    s.sendall(sys.stdin.buffer.read())
    if len(sys.argv) > 2 and sys.argv[2] == "shut":
        s.shutdown(socket.SHUT_WR)
except OSError:
    pass  # the daemon may answer and close before it read everything
out = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except (ConnectionResetError, socket.timeout):
    pass
sys.stdout.buffer.write(out)
EOF
raw() { python3 "$T/raw.py" "$sock" "$@"; }

# valid_json TEXT: one JSON document.
valid_json() { printf '%s' "$1" | python3 -m json.tool >/dev/null 2>&1; }

alive() {
	if daemon_alive && ctl status >/dev/null 2>&1; then ok "$1: daemon still answers"; else not_ok "$1: daemon still answers"; fi
}

write_config
start_daemon || { not_ok "daemon starts"; done_testing; }
ok "daemon starts"

is "$(stat -c %a "$sock")" 660 "socket mode is 0660"

# ---- every command, text and JSON
for cmd in help status reload trunks dids extensions dialplans calls cdr voicemail "voicemail 1001"; do
	# shellcheck disable=SC2086
	out=$(ctl $cmd 2>&1); rc=$?
	is "$rc" 0 "'$cmd' exits 0"
	# shellcheck disable=SC2086
	out=$(ctl --json $cmd 2>&1); rc=$?
	if [ "$rc" -eq 0 ] && valid_json "$out"; then ok "'--json $cmd' is one valid JSON document"; else not_ok "'--json $cmd' is one valid JSON document"; diag "rc=$rc" "$out"; fi
done
like "$(ctl help)" "^COMMAND +DESCRIPTION" "help has a header row"
like "$(ctl help)" "^cdr \[--since ISO8601\] \[--limit N\] " "help lists cdr with its arguments"
like "$(ctl status)" "^version +[0-9]+\.[0-9]+" "status shows the version"
like "$(ctl status)" "^config generation +1$" "status shows the generation"
like "$(ctl status)" "^config loaded +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$" "status shows when it was loaded (ISO-8601 UTC)"
like "$(ctl status)" "^config file +$conf" "status names the main config file"
like "$(ctl status)" "^active calls +0$" "status counts active calls"
like "$(ctl trunks)" "^ID +TENANT +MODE +REGISTRAR/ADDRESS +STATE +EXPIRES +CODECS +SRTP +DTMF +MAX_CALLS$" "trunks header"
like "$(ctl trunks)" "^carrier1 +acme +peer +sip:127.0.0.1:25070 " "trunks row"
like "$(ctl dids)" "^\+15551230001 +carrier1 +acme +main$" "dids row"
like "$(ctl extensions)" "^acme +1001 +wave +user=alice@acme +yes$" "extensions row"
like "$(ctl dialplans)" "^  10 +always +ring_extension +extension=1001 timeout=20 +voicemail$" "dialplans rule row"
like "$(ctl calls)" "^ID +TENANT +DIRECTION +FROM +TO +STATE +ACTION +ROOM +DURATION$" "calls header"
like "$(ctl cdr --limit 5 --since 2026-01-01T00:00:00Z)" "^ID +TENANT +DIRECTION +FROM +TO +STARTED" "cdr with --since and --limit"
is "$(ctl --json calls)" "[]" "--json calls with no calls is []"

st=$(ctl --json status)
is "$(printf '%s' "$st" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["generation"], d["counts"]["dids"], d["counts"]["calls_active"], d["last_reload_error"])')" "1 1 0 None" "--json status: generation, counts, no reload error"
is "$(ctl --json dids | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[0]["number"], d[0]["trunk"], d[0]["tenant"], d[0]["dialplan"])')" "+15551230001 carrier1 acme main" "--json dids fields"
is "$(ctl status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])')" 1 "--json after the command works too"

# ---- metrics: Prometheus text exposition, --json ignored
m=$(ctl metrics); rc=$?
is "$rc" 0 "metrics exits 0"
bad=$(printf '%s\n' "$m" | grep -Ev '^# (HELP|TYPE) [a-z_]+ .+$|^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9]+(\.[0-9]+)?$' | head -n 3)
is "$bad" "" "every metrics line is HELP, TYPE or a sample"
for want in 'scaidial_up 1' 'scaidial_config_generation 1' 'scaidial_calls_active 0' \
    '# TYPE scaidial_config_reloads_total counter' 'scaidial_config_reloads_total{result="refused"} 0' \
    'scaidial_config_objects{kind="dids"} 1' 'scaidial_store_writes_total{result="failed"} 0' \
    '# TYPE scaidial_store_queue_length gauge' '# TYPE scaidial_uptime_seconds gauge'; do
	if printf '%s\n' "$m" | grep -qxF -- "$want"; then ok "metrics: $want"; else not_ok "metrics: $want"; fi
done
like "$(ctl --json metrics)" "^# HELP scaidial_up" "--json metrics is still Prometheus text"

# ---- exit status 1: the daemon refuses
out=$(ctl frobnicate 2>&1 >/dev/null); rc=$?
is "$rc" 1 "unknown command exits 1"
is "$out" "unknown command 'frobnicate' (try 'help')" "unknown command message on stderr"
out=$(ctl hangup x 2>&1); is "$?" 1 "hangup is not a command yet"
out=$(ctl call no-such-call 2>&1 >/dev/null); rc=$?
is "$rc:$out" "1:no call 'no-such-call'" "call of an unknown id"
out=$(ctl call 2>&1); rc=$?
is "$rc:$out" "1:usage: call ID" "call without an id"
out=$(ctl status now 2>&1); rc=$?
is "$rc:$out" "1:status takes no arguments" "status with an argument"
out=$(ctl cdr --limit 0 2>&1); rc=$?
is "$rc" 1 "cdr --limit 0 exits 1"
like "$out" "--limit wants a whole number from 1 to 10000" "and says what it wants"
out=$(ctl cdr --limit 10001 2>&1); is "$?" 1 "cdr --limit 10001 exits 1"
out=$(ctl cdr --since yesterday 2>&1); rc=$?
is "$rc" 1 "cdr --since yesterday exits 1"
like "$out" "--since 'yesterday' is not an ISO-8601 time" "and says why"
out=$(ctl cdr --since 2026-02-30 2>&1); is "$?" 1 "cdr --since with an impossible date exits 1"

# ---- exit status 2: client-side refusals and no daemon
out=$(ctl status "a b" 2>&1); rc=$?
is "$rc" 2 "an argument with a space is refused by the client (exit 2)"
like "$out" "space or a control character" "with a clear message"
out=$(ctl "$(printf 'st\tatus')" 2>&1); is "$?" 2 "an argument with a control character is refused (exit 2)"
out=$("$SCAIDIAL_CTL" -s "$T/nowhere.sock" status 2>&1); rc=$?
is "$rc" 2 "no daemon at the socket: exit 2"
like "$out" "$T/nowhere.sock: No such file or directory" "the message names the socket and the error"
out=$("$SCAIDIAL_CTL" 2>&1); is "$?" 2 "no command: exit 2"
"$SCAIDIAL_CTL" -h >/dev/null; is "$?" 0 "-h exits 0"
like "$("$SCAIDIAL_CTL" -V)" "^scaidial-ctl [0-9]" "-V prints the version"

# A garbled answer is exit 2, not a guess.
python3 - "$T/fake.sock" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept(); c.recv(4096); c.sendall(b"HELLO\n"); c.close()
EOF
fake=$!
wait_until 5 test -S "$T/fake.sock"
out=$("$SCAIDIAL_CTL" -s "$T/fake.sock" status 2>&1); rc=$?
is "$rc" 2 "a garbled answer: exit 2"
like "$out" "garbled" "and says so"
wait "$fake" 2>/dev/null

# The socket from the configuration (-c), with an unreadable @include that must not hide it.
printf '@include "%s/missing/*.conf"\n' "$T" >>"$conf.ctl"
cat "$conf" >>"$conf.ctl"
is "$("$SCAIDIAL_CTL" -c "$conf.ctl" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])')" 1 "-c: the socket is read from general.control_socket"
out=$("$SCAIDIAL_CTL" -c "$T/none.conf" status 2>&1); rc=$?
is "$rc" 2 "-c with an unreadable file falls back to the default socket"

# ---- reload: refusal with FILE:LINE, then success
cp "$conf" "$T/good.conf"
sed -i 's/user = "alice@acme";//' "$conf"
out=$(ctl reload 2>&1 >/dev/null); rc=$?
is "$rc" 1 "reload of an invalid configuration exits 1"
like "$out" "^$conf:[0-9]+: " "each error is FILE:LINE: message"
like "$(ctl status)" "^  $conf:[0-9]+: " "status shows the last refusal"
is "$(ctl --json status | python3 -c 'import json,sys; e=json.load(sys.stdin)["last_reload_error"]["errors"][0]; print(e["file"] == sys.argv[1], e["line"] > 0)' "$conf")" "True True" "--json status: the refusal with file and line"
cp "$T/good.conf" "$conf.new" && mv "$conf.new" "$conf"
out=$(ctl reload); rc=$?
is "$rc" 0 "reload of a valid configuration exits 0"
like "$out" "^generation [0-9]+ in force" "reload says which generation is in force"
like "$(ctl --json reload)" '^\{"result":"(loaded|unchanged)","generation":[0-9]+\}$' "--json reload"

# ---- 20 clients at once
i=0
while [ $i -lt 20 ]; do
	( ctl --json status >"$T/par.$i" 2>&1; echo $? >"$T/par.$i.rc" ) &
	i=$((i + 1))
done
wait_until 30 sh -c "[ \$(ls '$T'/par.*.rc 2>/dev/null | wc -l) -eq 20 ]"
good=0
i=0
while [ $i -lt 20 ]; do
	[ "$(cat "$T/par.$i.rc" 2>/dev/null)" = 0 ] && valid_json "$(cat "$T/par.$i")" && good=$((good + 1))
	i=$((i + 1))
done
is "$good" 20 "20 clients at once are all answered"

# ---- hostile input, over the raw socket
is "$(printf 'status\n' | raw | head -n 1)" "OK" "raw: a plain request is answered OK"
is "$(printf '%5000s\n' x | raw)" "$(printf 'ERR\nrequest too long')" "an oversized line: ERR request too long"
long=$(printf '%4095s' '' | tr ' ' a)
like "$(printf '%s\n' "$long" | raw)" "^unknown command 'a{4095}'" "a line of exactly 4096 bytes with its LF is read whole"
is "$(printf 'sta\000tus\n' | raw)" "$(printf 'ERR\nmalformed request')" "NUL bytes: ERR malformed request"
is "$(printf 'status\r\n' | raw)" "$(printf 'ERR\nmalformed request')" "CR: malformed"
is "$(printf 'status \377\376\n' | raw)" "$(printf 'ERR\nmalformed request')" "invalid UTF-8: malformed"
is "$(printf 'status \300\257\n' | raw)" "$(printf 'ERR\nmalformed request')" "overlong UTF-8: malformed"
is "$(printf 'status  now\n' | raw)" "$(printf 'ERR\nmalformed request')" "doubled space: malformed"
is "$(printf ' status\n' | raw)" "$(printf 'ERR\nmalformed request')" "leading space: malformed"
is "$(printf '\n' | raw)" "$(printf "ERR\nempty request (try 'help')")" "empty line: ERR empty request"
is "$(printf -- '--json\n' | raw)" "$(printf "ERR\nempty request (try 'help')")" "--json alone: ERR empty request"
is "$(printf 'nosuch\n' | raw)" "$(printf "ERR\nunknown command 'nosuch' (try 'help')")" "raw unknown command"
is "$(printf 'status' | raw shut)" "$(printf 'ERR\nrequest not terminated by a newline')" "half-close without a newline"
is "$(printf 'dids \303\251t\303\251\n' | raw)" "$(printf 'ERR\ndids takes no arguments')" "valid UTF-8 arguments reach the command"
out=$(head -c 65536 /dev/urandom | raw | head -n 1)
is "$out" "ERR" "64 KiB of random bytes: ERR"
head -c 65536 /dev/urandom | socat -t 5 - "UNIX-CONNECT:$sock" >/dev/null 2>&1
alive "random bytes through socat"
head -c 100000 /dev/zero | raw >/dev/null
alive "100 kB of NUL bytes"

# ---- a large answer: 10,000 DIDs, written without blocking the loop
{
	sed '/^dids = /d' "$T/good.conf"
	echo 'dids = ('
	i=0
	while [ $i -lt 10000 ]; do
		printf '  { number = "+1555%07d"; trunk = "carrier1"; dialplan = "main"; },\n' $i
		i=$((i + 1))
	done
	echo '  { number = "+15551230001"; trunk = "carrier1"; dialplan = "main"; }'
	echo ');'
} >"$conf.new"
mv "$conf.new" "$conf"
ctl reload >/dev/null 2>&1
wait_until 20 sh -c "'$SCAIDIAL_CTL' -s '$sock' status | grep -q '^dids  *10001$'"
is "$(ctl --json dids | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 10001 "--json dids with 10,001 DIDs is complete and valid"
is "$(ctl dids | wc -l | tr -d ' ')" 10002 "dids with 10,001 DIDs: header and one line each"

# Clients that hang up mid-answer, one of them with a reset (SO_LINGER 0).
python3 - "$sock" <<'EOF'
import socket, struct, sys
for linger in (False, True):
    for _ in range(5):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        s.sendall(b"--json dids\n")
        s.recv(1000)
        if linger:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
EOF
alive "clients closing mid-answer"

# A silent client and one that never reads its (large) answer: others are served
# meanwhile, and the silent one is dropped after the idle timeout.
python3 - "$sock" >"$T/idle.out" 2>&1 <<'EOF' &
import socket, sys, time
silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
silent.connect(sys.argv[1])
stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
stuck.connect(sys.argv[1])
stuck.sendall(b"--json dids\n")
t0 = time.time()
silent.settimeout(20)
try:
    got = silent.recv(100)
except OSError as e:
    got = repr(e).encode()
print("silent", got, round(time.time() - t0))
EOF
idle=$!
sleep 1
t0=$(date +%s)
ctl status >/dev/null; is "$?" 0 "a silent client does not hold up others"
ctl --json dids >/dev/null; is "$?" 0 "a client that does not read its answer does not hold up others"
is "$(( $(date +%s) - t0 < 5 ))" 1 "and they are answered at once"
wait "$idle"
like "$(cat "$T/idle.out")" "^silent b'' (9|10|11|12)$" "the silent client is disconnected after 10 s"
alive "idle clients"

# ---- at most 64 clients: the 65th is told busy
python3 - "$sock" >"$T/busy.out" 2>&1 <<'EOF'
import socket, sys, time
held = []
for _ in range(64):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    held.append(s)
time.sleep(0.5)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
print(s.recv(100))
for h in held:
    h.close()
EOF
is "$(cat "$T/busy.out")" "b'ERR\\nbusy\\n'" "the 65th client gets ERR busy"
wait_until 5 ctl status
alive "65 clients"

# ---- the socket file: removed on exit, stale ones replaced, live ones respected
stop_daemon
is "$STOP_RC" 0 "daemon stops cleanly"
if [ -e "$sock" ]; then not_ok "the socket file is removed at exit"; else ok "the socket file is removed at exit"; fi

cp "$T/good.conf" "$conf"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$sock"
check "a stale socket is there" test -S "$sock"
start_daemon && ok "the daemon replaces a stale socket" || not_ok "the daemon replaces a stale socket"
out=$("$SCAIDIAL" -f -c "$conf" 2>&1); rc=$?
is "$rc" 1 "a second daemon on the same socket refuses to start"
like "$out" "control socket $sock: another process is answering on it" "and says why"
alive "a second daemon's attempt"
stop_daemon

sed "s|control_socket = \"$sock\"|control_socket = \"$T/no/such/dir/ctl.sock\"|" "$T/good.conf" >"$conf"
out=$("$SCAIDIAL" -f -c "$conf" 2>&1); rc=$?
is "$rc" 1 "a socket in a missing directory: the daemon refuses to start"
like "$out" "directory $T/no/such/dir: No such file or directory" "and names the directory"
cp "$T/good.conf" "$conf"
: >"$sock"
out=$("$SCAIDIAL" -f -c "$conf" 2>&1); rc=$?
is "$rc" 1 "a regular file at the socket path is not replaced"
like "$out" "exists and is not a socket" "and says so"
rm -f "$sock"

# lib.sh's watchdog subshell is killed at exit, but its `sleep` would keep the TAP pipe
# open for the whole limit: end it here, by its parent's id.
for p in $(ps -o pid= --ppid "$WATCHDOG_PID" 2>/dev/null); do kill "$p" 2>/dev/null; done
done_testing
