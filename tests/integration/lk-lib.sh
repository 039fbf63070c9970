# lk-lib.sh: helpers for the integration tests that need a LiveKit server and LiveKit's
# Python SDKs (installed by `contrib/dev/deps.sh test`). Sourced after lib.sh. The tools
# are required: a test that cannot find them fails, it does not skip.
#
# LIVEKIT_SERVER overrides the server binary; SCAIDIAL_TEST_HOME the venv's parent.

LK_PID=
HOOK_PID=
LK_KEY=devkey
LK_SECRET=scaidial-test-secret-0123456789abcdef

lk_cleanup() {
	# lib.sh's watchdog is a subshell whose sleep would outlive it and hold our stdout
	# open, keeping the TAP reader waiting for the whole limit: end the sleep first.
	[ -n "${WATCHDOG_PID:-}" ] && pkill -P "$WATCHDOG_PID" 2>/dev/null
	[ -n "$HOOK_PID" ] && kill "$HOOK_PID" 2>/dev/null
	if [ -n "$LK_PID" ] && kill -0 "$LK_PID" 2>/dev/null; then
		kill -TERM "$LK_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$LK_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$LK_PID" 2>/dev/null
	fi
	if [ "$TAP_FAILED" -ne 0 ] && [ -f "$T/livekit.log" ]; then
		echo "# --- livekit-server log (warnings and errors) ---"
		grep -E 'WARN|ERROR' "$T/livekit.log" | tail -n 30 | cut -c1-300 | sed 's/^/# /'
	fi
	cleanup
}
trap lk_cleanup EXIT

# lk_find_server: sets LK_SERVER.
lk_find_server() {
	local g
	for g in "${LIVEKIT_SERVER:-}" "$(command -v livekit-server 2>/dev/null)" \
	    "$HOME/go/bin/livekit-server"; do
		[ -n "$g" ] && [ -x "$g" ] && { LK_SERVER=$g; return 0; }
	done
	g=$(go env GOPATH 2>/dev/null)/bin/livekit-server
	[ -x "$g" ] && { LK_SERVER=$g; return 0; }
	return 1
}

# lk_find_python: sets LK_PY to the venv's python with livekit.rtc, livekit.api, numpy.
lk_find_python() {
	LK_PY=${SCAIDIAL_TEST_HOME:-$HOME/.cache/scaidial-test}/venv/bin/python3
	[ -x "$LK_PY" ] && "$LK_PY" -c 'import livekit.rtc, livekit.api, numpy' 2>/dev/null
}

# lk_pick_ports: LK_PORT (HTTP/WebSocket), LK_TCP_PORT and LK_UDP_PORT = LK_PORT+1, +2, all
# free on 127.0.0.1 now, so tests can run side by side.
lk_pick_ports() {
	LK_PORT=$(python3 - <<'PY'
import random, socket
for _ in range(200):
    base = random.randrange(20000, 40000)
    try:
        for off, kind in ((0, socket.SOCK_STREAM), (1, socket.SOCK_STREAM), (2, socket.SOCK_DGRAM)):
            s = socket.socket(socket.AF_INET, kind)
            s.bind(("127.0.0.1", base + off))
            s.close()
    except OSError:
        continue
    print(base)
    break
PY
)
	[ -n "$LK_PORT" ] || return 1
	LK_TCP_PORT=$((LK_PORT + 1))
	LK_UDP_PORT=$((LK_PORT + 2))
	LK_URL=ws://127.0.0.1:$LK_PORT
}

# lk_free_port: a TCP port free on 127.0.0.1 now.
lk_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# lk_start_server: the loopback configuration of doc/livekit.md on fresh ports; waits
# until the HTTP port answers. The STUN server handed to clients is a loopback address
# (nothing answers STUN there) instead of the default public names, which would need DNS.
lk_start_server() {
	lk_pick_ports || return 1
	cat >"$T/livekit.yaml" <<YAML
port: $LK_PORT
bind_addresses: ["127.0.0.1"]
development: true
keys: {$LK_KEY: $LK_SECRET}
logging: {level: debug}
rtc: {tcp_port: $LK_TCP_PORT, udp_port: $LK_UDP_PORT, node_ip: 127.0.0.1,
      use_external_ip: false, enable_loopback_candidate: true,
      stun_servers: ["127.0.0.1:$LK_UDP_PORT"]}
YAML
	"$LK_SERVER" --config "$T/livekit.yaml" >"$T/livekit.log" 2>&1 &
	LK_PID=$!
	wait_until 20 curl -sf "http://127.0.0.1:$LK_PORT/"
}

# lk_token ROOM IDENTITY: a join token, minted by livekit.api.
lk_token() {
	"$LK_PY" "$TOP_SRCDIR/tests/integration/lk_peer.py" token "$LK_KEY" "$LK_SECRET" "$1" "$2"
}

# lk_start_webhooks SECRET: tests/integration/webhook_server.py on a free port, checking
# signatures with SECRET and logging every request to $T/events.jsonl; sets HOOK, its URL.
lk_start_webhooks() {
	python3 "$TOP_SRCDIR/tests/integration/webhook_server.py" --secret "$1" \
	    --log "$T/events.jsonl" --port-file "$T/hook.port" 2>"$T/hook.err" &
	HOOK_PID=$!
	wait_until 10 test -s "$T/hook.port" || return 1
	HOOK=http://127.0.0.1:$(cat "$T/hook.port")
}

# lk_event FIELD EVENT: FIELD of the body of the newest EVENT the receiver logged.
lk_event() {
	python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r["event"] == sys.argv[2]]
print(json.loads(rows[-1]["body"]).get(sys.argv[3], "") if rows else "")' "$T/events.jsonl" "$2" "$1"
}

# lk_rooms: the names of the rooms on the server, space-separated.
lk_rooms() {
	"$LK_PY" -c '
import asyncio, sys
from livekit import api
async def main():
    lk = api.LiveKitAPI(sys.argv[1], sys.argv[2], sys.argv[3])
    r = await lk.room.list_rooms(api.ListRoomsRequest())
    print(" ".join(x.name for x in r.rooms))
    await lk.aclose()
asyncio.run(main())' "http://127.0.0.1:$LK_PORT" "$LK_KEY" "$LK_SECRET" 2>/dev/null
}

# lk_need TOOL...: fails the test (not skips) when a tool, livekit-server or the SDK is
# missing; sets LK_SERVER and LK_PY.
lk_need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || { not_ok "$t is installed (contrib/dev/deps.sh test)"; done_testing; }
	done
	if ! lk_find_server || ! lk_find_python; then
		not_ok "livekit-server and the LiveKit Python SDK are installed (contrib/dev/deps.sh test)"
		done_testing
	fi
}
