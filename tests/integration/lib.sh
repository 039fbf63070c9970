# lib.sh: shared by the integration tests. Each test is a shell script that prints TAP,
# runs the real daemon on a private config under a temporary directory, and is bounded in
# time by a watchdog. Sourced, not run.
#
# Environment (set by `make check`): SCAIDIAL, SCAIDIAL_CTL, TOP_SRCDIR, TOP_BUILDDIR.

set -u

: "${SCAIDIAL:?run through make check}"
: "${SCAIDIAL_CTL:?run through make check}"
: "${TOP_SRCDIR:?run through make check}"

TAP_N=0
TAP_FAILED=0

# free_port: a port free for both UDP and TCP on 127.0.0.1, so that tests running at the
# same time (make -j, other checkouts) never fight over one.
free_port() {
	python3 - <<'PY'
import random, socket
for _ in range(200):
    p = random.randint(20000, 59999)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        u.bind(("127.0.0.1", p)); t.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        u.close(); t.close()
    print(p)
    break
PY
}
SIP_PORT=${SIP_PORT:-$(free_port)}
T=$(mktemp -d "${TMPDIR:-/tmp}/scaidial-test.XXXXXX")
DAEMON_PID=

# The whole script is bounded: a test that hangs is a failed test, not a stuck CI run.
tap_watchdog() {
	local limit=$1 self=$$
	# sleep must not hold the test's output open once the watchdog is killed, or the
	# harness waits for it to end.
	( sleep "$limit" >/dev/null 2>&1 </dev/null &&
	    echo "not ok - watchdog: test exceeded ${limit}s" && kill -TERM "$self" ) &
	WATCHDOG_PID=$!
}

cleanup() {
	[ -n "${WATCHDOG_PID:-}" ] && kill "$WATCHDOG_PID" 2>/dev/null
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$DAEMON_PID" 2>/dev/null
	fi
	if [ "$TAP_FAILED" -ne 0 ] && [ -f "$T/daemon.log" ]; then
		echo "# --- daemon log ---"
		sed 's/^/# /' "$T/daemon.log" | tail -n 60
	fi
	# SCAIDIAL_KEEP_T=1 keeps the test's directory for a post-mortem.
	if [ -n "${SCAIDIAL_KEEP_T:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}

not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $*"
}

diag() {
	printf '%s\n' "$@" | sed 's/^/#   /'
}

# check DESCRIPTION COMMAND...: passes when the command exits 0.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		diag "got:  $1" "want: $2"
	fi
}

# like TEXT REGEX DESCRIPTION (grep -E)
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok "$3"
	else
		not_ok "$3"
		diag "text: $1" "does not match: $2"
	fi
}

done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
	exit $?
}

# wait_until SECONDS COMMAND...: polls every 50 ms; 0 when the command succeeded in time.
wait_until() {
	local limit=$1 i=0
	shift
	local tries=$((limit * 20))
	while [ "$i" -lt "$tries" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# write_config [FILE]: a minimal valid configuration with all state under $T.
# Tests append sections or rewrite it; the default file is $T/etc/scaidial.conf.
write_config() {
	local f=${1:-$T/etc/scaidial.conf}
	mkdir -p "$(dirname "$f")" "$T/state" "$T/spool"
	cat >"$f" <<EOF
general: {
  sip_listen = [ "udp:127.0.0.1:$SIP_PORT" ];
  rtp_ports = [ 30000, 30100 ];
  database = "$T/state/scaidial.db";
  spool_dir = "$T/spool";
  control_socket = "$T/ctl.sock";
  log_level = "debug";
};
livekit: { url = "ws://127.0.0.1:7880"; api_key = "devkey"; api_secret = "secret"; };
webhooks: { secret = "test"; wave_ring = "http://127.0.0.1:18088/ring"; };
tenants = ( { id = "acme"; name = "Acme"; } );
trunks = (
  { id = "carrier1"; tenant = "acme"; mode = "peer"; address = "sip:127.0.0.1:25070";
    allowed_addresses = [ "127.0.0.1/32" ]; }
);
dids = ( { number = "+15551230001"; trunk = "carrier1"; dialplan = "main"; } );
extensions = ( { id = "1001"; tenant = "acme"; type = "wave"; user = "alice@acme"; voicemail = true; } );
dialplans = (
  { id = "main"; tenant = "acme";
    rules = ( { priority = 10; action = "ring_extension"; extension = "1001"; timeout = 20;
                on_no_answer = "voicemail"; } ); }
);
EOF
}

# start_daemon [ARGS...]: runs the daemon in the foreground on $T/etc/scaidial.conf and waits
# until its control socket answers.
start_daemon() {
	# SCAIDIAL_WRAPPER runs the daemon under a tool (valgrind in test-all.sh).
	${SCAIDIAL_WRAPPER:-} "$SCAIDIAL" -f -c "$T/etc/scaidial.conf" "$@" >>"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
	if ! wait_until "${START_LIMIT:-20}" "$SCAIDIAL_CTL" -s "$T/ctl.sock" status; then
		echo "# daemon did not come up; its log:"
		sed 's/^/# /' "$T/daemon.log"
		return 1
	fi
}

# stop_daemon: SIGTERM, then wait for it to exit; its status is left in STOP_RC. Not in a
# subshell: only the shell that started the daemon can wait for it.
stop_daemon() {
	STOP_RC=0
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" || STOP_RC=$?
	DAEMON_PID=
}

daemon_alive() {
	[ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null
}

ctl() {
	"$SCAIDIAL_CTL" -s "$T/ctl.sock" "$@"
}
