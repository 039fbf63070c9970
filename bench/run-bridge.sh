#!/usr/bin/env bash
# run-bridge.sh: concurrent bridged calls, G.711 caller <-> LiveKit room (`make bench-bridge`),
# for each bridge in BRIDGES (livekit-sip, scaidial) and each call count in CALLS, one after
# the other in the same run, on fresh servers each time.
#
# sipp places CALLS calls at RATE calls/s into a DID whose calls land in a room of their own;
# bridge_rtp.py is every caller's media (PCMU, 1000 Hz bursts out, 600 Hz bursts expected
# back) and bridge_room.py is one LiveKit SDK participant per room (600 Hz bursts out, the
# caller's bursts expected). Once all calls are up, the bridge process's CPU (utime+stime,
# /proc) over STEADY_S and its RSS are taken; afterwards bridge_stats.py pairs every burst
# sent with its onset heard on the other side (added one-way latency, SIP->room and
# room->SIP). One line of results per run goes to stdout and, as JSON, to $OUT if set.
# First, unless BASELINE=0, the same tone measurement with no bridge at all: BASELINE pairs
# of SDK participants, one speaking and one listening through the SFU.
#
# Knobs: BRIDGES, CALLS (list), RATE, RUNS, FULL (rooms with a publishing and listening
# participant, the others only publish an empty track; 0: all), STEADY_S, SETTLE_S (how
# long to wait for every answer), NO_DTX=1 (the room's silence as audio frames), BASELINE
# (no-bridge pairs; 0: none), OUT (JSON lines), KEEP=1 (keep the work directory: logs,
# events.jsonl), THREADS=1 (CPU by thread of the room side and the bridge), SIPP_TRACE=1,
# LKSIP_LOG=info|debug, BRIDGE_WRAP (a command scaidial runs under, e.g.
# "heaptrack -o /tmp/bridge": where its memory goes; its figures are then the wrapped ones),
# WIRE=1 (bridge_wire.py: the bridge's own delay, off the loopback wire, in the steady
# window; needs root for the packet socket).
# livekit-sip needs bench/setup-livekit-sip.sh (redis-server, cgo libraries, the Go build);
# scaidial's half needs a daemon whose bot ring_extension is answered by the bot joining.
# Results and what the figures contain: bench/RESULTS.md.
set -euo pipefail
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${TOP_BUILDDIR:-$top}
bridges=${BRIDGES:-livekit-sip scaidial}
calls_list=${CALLS:-10 50}
rate=${RATE:-20}
steady=${STEADY_S:-10}
settle=${SETTLE_S:-30}
runs=${RUNS:-1}
full=${FULL:-10}    # rooms with a full participant (publishing and listening); 0: all
out=${OUT:-}
venv_py=${SCAIDIAL_TEST_HOME:-$HOME/.cache/scaidial-test}/venv/bin/python3
gobin=$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin
LIVEKIT_SERVER=${LIVEKIT_SERVER:-$(command -v livekit-server || echo "$gobin/livekit-server")}
LIVEKIT_SIP=${LIVEKIT_SIP:-$(command -v livekit-sip || echo "$gobin/livekit-sip")}
KEY=devkey
SECRET=scaidial-bench-bridge-secret-0123456789
DID=+15551230002
bench=$top/bench

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
udp_busy() { ! python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(('127.0.0.1', $1))" 2>/dev/null; }
all_answered() { [ "$(cat "$work/answers" 2>/dev/null | wc -l)" -ge "$1" ]; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
wait_for() { # SECONDS CMD...: poll CMD every 0.1 s
	local n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}

pids=()
work=
stop_all() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}
trap 'stop_all; [ -n "$work" ] && [ -z "${KEEP:-}" ] && rm -rf "$work"' EXIT

# start_servers: redis (livekit-sip's bus, also the livekit-server's store in both runs so
# the SFU is configured alike) and livekit-server.
start_servers() {
	redis_port=$(free_port)
	redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
	    --daemonize no >"$work/redis.log" 2>&1 &
	pids+=($!)
	lk_port=$(free_port)
	cat >"$work/livekit.yaml" <<EOF
port: $lk_port
bind_addresses: ["127.0.0.1"]
keys: {$KEY: "$SECRET"}
redis: {address: "127.0.0.1:$redis_port"}
rtc: {tcp_port: $(free_port), port_range_start: 40000, port_range_end: 49999, node_ip: 127.0.0.1, use_external_ip: false, enable_loopback_candidate: true}
logging: {level: ${LKSIP_LOG:-warn}}
EOF
	"$LIVEKIT_SERVER" --config "$work/livekit.yaml" >"$work/livekit.log" 2>&1 &
	lk_pid=$!
	pids+=($lk_pid)
	wait_for 30 python3 -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:$lk_port/', timeout=1).read() != b'OK')" ||
		{ echo "livekit-server did not start (see $work/livekit.log)" >&2; return 1; }
	lk_url=ws://127.0.0.1:$lk_port
}

# start_bridge BRIDGE: sets bridge_pid, sip_port and, for scaidial, starts the webhook side
# of bridge_room.py first (its URL goes into the daemon's configuration).
start_bridge() {
	sip_port=$(free_port)
	case $1 in
	livekit-sip)
		cat >"$work/sip.yaml" <<EOF
api_key: $KEY
api_secret: $SECRET
ws_url: $lk_url
redis: {address: "127.0.0.1:$redis_port"}
sip_port: $sip_port
listen_ip: 127.0.0.1
nat_1_to_1_ip: 127.0.0.1
rtp_port: 20000-29999
max_cpu_utilization: 1.0
logging: {level: ${LKSIP_LOG:-warn}}
EOF
		"$LIVEKIT_SIP" --config "$work/sip.yaml" >"$work/bridge.log" 2>&1 &
		bridge_pid=$!
		pids+=($bridge_pid)
		wait_for 20 udp_busy "$sip_port" ||
			{ echo "livekit-sip did not open its SIP port (see $work/bridge.log)" >&2; return 1; }
		"$venv_py" "$bench/bridge_room.py" setup-lksip --url "$lk_url" --key $KEY \
		    --secret $SECRET --did "$DID" >"$work/setup.log" 2>&1 ||
			{ echo "trunk/dispatch rule not created (see $work/setup.log)" >&2; return 1; }
		;;
	scaidial)
		"$venv_py" "$bench/bridge_room.py" webhook --port-file "$work/hook.port" \
		    --log "$work/events.jsonl" --seconds "$life" --full "$full" ${NO_DTX:+--no-dtx} \
		    >"$work/room.log" 2>&1 &
		room_pid=$!
		pids+=($room_pid)
		wait_for 20 test -s "$work/hook.port" || { echo "webhook side did not start" >&2; return 1; }
		mkdir -p "$work/etc" "$work/state" "$work/spool"
		sox -n -r 8000 -c 1 -b 16 "$work/greet.wav" synth 0.2 sine 440
		cat >"$work/etc/scaidial.conf" <<EOF
general: { sip_listen = [ "udp:127.0.0.1:$sip_port" ]; database = "$work/state/scaidial.db";
  spool_dir = "$work/spool"; control_socket = "$work/ctl.sock"; log_level = "warn";
  rtp_ports = [ 20000, 29999 ]; voicemail_greeting = "$work/greet.wav"; };
livekit: { url = "$lk_url"; api_key = "$KEY"; api_secret = "$SECRET"; };
webhooks: { secret = "bench"; bot_kickoff = "http://127.0.0.1:$(cat "$work/hook.port")/kickoff"; };
tenants = ( { id = "acme"; name = "Acme"; } );
trunks = ( { id = "carrier"; tenant = "acme"; mode = "peer"; address = "sip:127.0.0.3:5060";
  allowed_addresses = [ "127.0.0.0/8" ]; codecs = [ "PCMU" ]; } );
dids = ( { number = "$DID"; trunk = "carrier"; dialplan = "bot"; } );
extensions = ( { id = "2001"; tenant = "acme"; type = "bot"; bot = "42"; } );
dialplans = ( { id = "bot"; tenant = "acme"; rules = ( { priority = 10;
  action = "ring_extension"; extension = "2001"; timeout = 180; on_no_answer = "hangup"; } ); } );
EOF
		# shellcheck disable=SC2086 # BRIDGE_WRAP is a command line
		${BRIDGE_WRAP:-} "$build/scaidial" -f -c "$work/etc/scaidial.conf" 2>"$work/bridge.log" &
		bridge_pid=$!
		pids+=($bridge_pid)
		wait_for 60 "$build/scaidial-ctl" -s "$work/ctl.sock" status ||
			{ echo "scaidial did not start (see $work/bridge.log)" >&2; return 1; }
		if [ -n "${BRIDGE_WRAP:-}" ]; then # measure the daemon, not its wrapper
			for p in $(pgrep -f "$work/etc/scaidial.conf"); do
				[ "$(cat "/proc/$p/comm" 2>/dev/null)" = scaidial ] && bridge_pid=$p
			done
			pids+=($bridge_pid)
		fi
		;;
	*) echo "unknown bridge $1" >&2; return 1 ;;
	esac
}

run_one() { # BRIDGE N RUN
	local bridge=$1 n=$2 r=$3 base rss0 rss1 s0 s1 up
	work=$(mktemp -d /tmp/scaidial-bench-bridge.XXXXXX)
	hold=$((n / rate + settle + steady + 5))
	life=$((hold + n / rate + settle + 30))
	start_servers
	start_bridge "$bridge"
	if [ "$bridge" = livekit-sip ]; then
		"$venv_py" "$bench/bridge_room.py" discover --url "$lk_url" --key $KEY --secret $SECRET \
		    --log "$work/events.jsonl" --seconds "$life" --full "$full" ${NO_DTX:+--no-dtx} \
		    >"$work/room.log" 2>&1 &
		room_pid=$!
		pids+=($room_pid)
	fi
	sleep 3
	rss0=$(rss_kib "$bridge_pid")
	base=${CALLER_PORT_BASE:-30000}
	"$venv_py" -c "import sys; sys.path.insert(0, '$bench'); import bridge_tone as b
print('SEQUENTIAL')
for i in range($n): print('%s;%d;' % (b.caller_number(i), $base + i))" >"$work/callers.csv"
	"$venv_py" "$bench/bridge_rtp.py" --base-port $base --count "$n" --answers "$work/answers" \
	    --log "$work/events.jsonl" --seconds "$life" >"$work/rtp.log" 2>&1 &
	rtp_pid=$!
	pids+=($rtp_pid)
	sed -e "s|@ANSWERS@|$work/answers|; s/@HOLD_MS@/$((hold * 1000))/" \
	    "$bench/sipp/uac-bridge.xml" >"$work/uac.xml"
	sipp 127.0.0.1:"$sip_port" -i 127.0.0.3 -p "$(free_port)" -sf "$work/uac.xml" -s "$DID" \
	    -inf "$work/callers.csv" -r "$rate" -l "$n" -m "$n" -timeout $((hold + n / rate + 60)) \
	    -trace_stat -stf "$work/stat.csv" ${SIPP_TRACE:+-trace_msg -message_file "$work/msg.log"} -trace_err -error_file "$work/sipp-err.log" \
	    -bg >"$work/sipp.out" 2>&1 || true
	# The steady window starts when every call is answered (or at the latest when the
	# last one should have been plus SETTLE_S) and the last answer is 3 s old.
	sleep $((n / rate))
	wait_for "$settle" all_answered "$n" || true
	sleep 3
	up=$(wc -l <"$work/answers" 2>/dev/null || echo 0)
	ticks0=$(cpu_ticks "$bridge_pid") ; l0=$(cpu_ticks "$lk_pid"); m0=$(cpu_ticks "$room_pid")
	r0=$(cpu_ticks "$rtp_pid"); s0=$(date +%s.%N)
	read -r _ u0 n0 y0 i0 _ </proc/stat
	if [ -n "${WIRE:-}" ]; then
		"$venv_py" "$bench/bridge_wire.py" --seconds "$steady" --pid "$bridge_pid" \
		    --sfu-pid "$lk_pid" --callers "$base:$n" --bridge "$bridge" --calls "$n" --run "$r" \
		    ${out:+--out "$out"} >"$work/wire.out" 2>&1 &
		wire_pid=$!
	fi
	sleep "$steady"
	ticks1=$(cpu_ticks "$bridge_pid"); l1=$(cpu_ticks "$lk_pid"); m1=$(cpu_ticks "$room_pid")
	r1=$(cpu_ticks "$rtp_pid"); s1=$(date +%s.%N)
	read -r _ u1 n1 y1 i1 _ </proc/stat
	rss1=$(rss_kib "$bridge_pid")
	if [ -n "${WIRE:-}" ]; then
		wait "$wire_pid" || true
		cat "$work/wire.out"
	fi
	if [ -n "${THREADS:-}" ]; then # where the room side's and the bridge's CPU goes, by thread
		for p in "$room_pid" "$bridge_pid"; do
			for t in /proc/$p/task/*; do
				echo "$p $(cat "$t/comm" 2>/dev/null) $(awk '{print $14+$15}' "$t/stat" 2>/dev/null)"
			done | sort -k3 -n -r | head -12
		done >"$work/threads.txt"
	fi
	# Let every call end (sipp hangs up HOLD after its answer), then pair bursts.
	sipp_pid=$(sed -n 's/.*PID=\[\([0-9]*\)\].*/\1/p' "$work/sipp.out")
	wait_for $((hold + settle)) eval "! kill -0 ${sipp_pid:-0} 2>/dev/null" || true
	[ -n "$sipp_pid" ] && kill "$sipp_pid" 2>/dev/null || true
	stop_all
	"$venv_py" "$bench/bridge_stats.py" "$work/events.jsonl" --bridge "$bridge" --calls "$n" \
	    --answered "$up" --cpu-ticks $((ticks1 - ticks0)) --lk-ticks $((l1 - l0)) \
	    --room-ticks $((m1 - m0)) --rtp-ticks $((r1 - r0)) \
	    --machine-busy $(( (u1 + n1 + y1) - (u0 + n0 + y0) )) --machine-idle $((i1 - i0)) \
	    --seconds "$(python3 -c "print($s1 - $s0)")" --clk "$(getconf CLK_TCK)" \
	    --rss0 "$rss0" --rss1 "$rss1" --run "$r" ${out:+--out "$out"}
	[ -n "${KEEP:-}" ] && echo "kept $work" >&2
	[ -z "${KEEP:-}" ] && rm -rf "$work"
	work=
}

run_baseline() { # PAIRS: the harness's own floor, SDK participant to SDK participant
	work=$(mktemp -d /tmp/scaidial-bench-bridge.XXXXXX)
	start_servers
	"$venv_py" "$bench/bridge_room.py" baseline --url "$lk_url" --key $KEY --secret $SECRET \
	    --calls "$1" --seconds 20 --log "$work/events.jsonl" >"$work/room.log" 2>&1 || true
	stop_all
	"$venv_py" "$bench/bridge_stats.py" "$work/events.jsonl" --bridge "no bridge" --calls "$1" \
	    ${out:+--out "$out"} | grep sdk2sdk
	[ -z "${KEEP:-}" ] && rm -rf "$work"
	work=
}

echo "== bridged calls: $(nproc) cores, $(uname -r), rate $rate calls/s, steady window ${steady} s"
[ "${BASELINE:-5}" -gt 0 ] && run_baseline "${BASELINE:-5}"
for n in $calls_list; do
	for r in $(seq "$runs"); do
		for b in $bridges; do
			run_one "$b" "$n" "$r"
		done
	done
done
