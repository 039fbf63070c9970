#!/usr/bin/env bash
# lk-api.sh: src/lk_api.c (Twirp RoomService over http.c, driven by lk_api_drive on the real
# control loop) and src/lk_token.c against a real livekit-server on 127.0.0.1, with a
# participant that joins through LiveKit's own Python SDK using a token lk_token.c minted:
# CreateRoom, ListParticipants (empty, then the SIP participant with its kind and
# attributes), UpdateParticipant (seen by the participant), RemoveParticipant (the
# participant is disconnected), DeleteRoom; wrong secrets are refused by the server.
# livekit-server and the SDK venv come from contrib/dev/deps.sh test: without them this
# test fails, it does not skip.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 120

DRIVE=$TOP_BUILDDIR/tests/integration/lk_api_drive
PARTICIPANT=$TOP_SRCDIR/tests/integration/lk_participant.py
LIVEKIT_SERVER=${LIVEKIT_SERVER:-$(command -v livekit-server || echo "$HOME/go/bin/livekit-server")}
VENV_PY=${SCAIDIAL_TEST_HOME:-$HOME/.cache/scaidial-test}/venv/bin/python3
KEY=devkey
SECRET=scaidial-lk-api-test-secret-0123456789
LK_PID=
PART_PID=

if [ ! -x "$LIVEKIT_SERVER" ]; then
	not_ok "livekit-server found (looked for $LIVEKIT_SERVER; run contrib/dev/deps.sh test)"
	done_testing
fi
if ! "$VENV_PY" -c 'import livekit.rtc' 2>/dev/null; then
	not_ok "LiveKit Python SDK found (looked for $VENV_PY; run contrib/dev/deps.sh test)"
	done_testing
fi
ok "livekit-server and the LiveKit Python SDK are installed"

stop_all() {
	[ -n "$PART_PID" ] && kill "$PART_PID" 2>/dev/null
	if [ -n "$LK_PID" ]; then
		kill "$LK_PID" 2>/dev/null
		wait "$LK_PID" 2>/dev/null
	fi
	if [ "$TAP_FAILED" -ne 0 ]; then
		echo "# --- livekit-server log (tail) ---"
		tail -n 30 "$T/livekit.log" 2>/dev/null | sed 's/^/# /'
	fi
	cleanup
}
trap stop_all EXIT

# Free ports for this run (other tests and engineers run servers on the usual ones).
PORT=$(free_port)
TCP_PORT=$(free_port)
UDP_PORT=$(free_port)
cat >"$T/livekit.yaml" <<EOF
port: $PORT
bind_addresses: ["127.0.0.1"]
development: true
keys: {$KEY: "$SECRET"}
rtc: {tcp_port: $TCP_PORT, udp_port: $UDP_PORT, node_ip: 127.0.0.1, use_external_ip: false, enable_loopback_candidate: true}
EOF
"$LIVEKIT_SERVER" --config "$T/livekit.yaml" >"$T/livekit.log" 2>&1 &
LK_PID=$!
URL=ws://127.0.0.1:$PORT
server_up() { python3 -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:$PORT/', timeout=1).read() != b'OK')"; }
if ! wait_until 20 server_up; then
	not_ok "livekit-server answers on 127.0.0.1:$PORT"
	done_testing
fi
ok "livekit-server answers on 127.0.0.1:$PORT"

api() { "$DRIVE" -u "$URL" -k "$KEY" -s "$SECRET" "$@" 2>>"$T/drive.log"; }
ROOM=scaidial-test-room
IDENT=sip_+15551230001
IDENT_RE='sip_\+15551230001'

# --- CreateRoom, ListParticipants of an empty room -------------------------------------------
OUT=$(api "create:$ROOM:300:45:5:{\"tenant\":\"acme\"}" "list:$ROOM")
like "$OUT" "^step 0 create ok" "CreateRoom succeeds"
like "$OUT" "room sid=RM_[A-Za-z0-9]+ name=$ROOM empty_timeout=300 departure_timeout=45 max_participants=5 metadata=\{\"tenant\":\"acme\"\}" \
	"the server's Room echoes name, empty_timeout, departure_timeout, max_participants, metadata"
like "$OUT" "step 1 list ok" "ListParticipants succeeds"
like "$OUT" "participants 0" "... and the new room is empty"
SID=$(printf '%s\n' "$OUT" | sed -n 's/^room sid=\([^ ]*\).*/\1/p')
OUT=$(api "create:$ROOM:300:45:5:{\"tenant\":\"acme\"}")
like "$OUT" "^room sid=$SID name=$ROOM " "CreateRoom of an existing room succeeds and returns that room ($SID)"

# --- a participant joins with a token from lk_token.c --------------------------------------
TOKEN=$("$DRIVE" -k "$KEY" -s "$SECRET" sip-token "$ROOM" "$IDENT" "Bob Caller" SCL_42 \
	+15551230001 +15557654321)
"$VENV_PY" "$PARTICIPANT" "$URL" "$TOKEN" >"$T/part.out" 2>"$T/part.err" &
PART_PID=$!
if wait_until 20 grep -q '^connected' "$T/part.out"; then
	ok "the Python SDK joined the room with lk_token.c's token (the server accepted it)"
else
	not_ok "the Python SDK joined the room with lk_token.c's token"
	diag "$(cat "$T/part.out" "$T/part.err" | tail -n 5)"
fi
like "$(cat "$T/part.out")" \
	"^connected identity=$IDENT_RE sid=PA_[A-Za-z0-9]+ room=$ROOM kind=PARTICIPANT_KIND_SIP attr:sip.callID=SCL_42 attr:sip.callStatus=active attr:sip.phoneNumber=\+15551230001 attr:sip.trunkPhoneNumber=\+15557654321$" \
	"the SDK sees itself as a SIP participant with the token's sip.* attributes"

OUT=$(api "list:$ROOM")
like "$OUT" "participants 1" "ListParticipants now finds one participant"
like "$OUT" "participant identity=$IDENT_RE kind=sip state=(joined|active) sid=PA_[A-Za-z0-9]+ name=Bob Caller attr:sip.callID=SCL_42 attr:sip.callStatus=active attr:sip.phoneNumber=\+15551230001 attr:sip.trunkPhoneNumber=\+15557654321$" \
	"... with kind sip, the name and every attribute from the token"

# --- UpdateParticipant ------------------------------------------------------------------------
OUT=$(api "update:$ROOM:$IDENT:sip.callStatus=hangup")
like "$OUT" "step 0 update ok" "UpdateParticipant succeeds"
like "$OUT" "participant identity=$IDENT_RE .*attr:sip.callStatus=hangup" "... and returns the updated attributes"
if wait_until 10 grep -q '^attributes_changed sip.callStatus=hangup' "$T/part.out"; then
	ok "the participant was told its sip.callStatus changed to hangup"
else
	not_ok "the participant was told its sip.callStatus changed to hangup"
fi

# --- RemoveParticipant, DeleteRoom ------------------------------------------------------------
OUT=$(api "remove:$ROOM:$IDENT" "list:$ROOM")
like "$OUT" "step 0 remove ok" "RemoveParticipant succeeds"
like "$OUT" "participants 0" "... and the room is empty again"
if wait_until 10 grep -q '^disconnected reason=PARTICIPANT_REMOVED' "$T/part.out"; then
	ok "the participant was disconnected with reason PARTICIPANT_REMOVED"
else
	not_ok "the participant was disconnected with reason PARTICIPANT_REMOVED"
	diag "$(cat "$T/part.out")"
fi
OUT=$(api "delete:$ROOM" "delete:$ROOM")
like "$OUT" "step 0 delete ok" "DeleteRoom succeeds"
like "$OUT" "step 1 delete error=twirp not_found: .*does not exist \(HTTP 404\)" \
	"a second DeleteRoom: the room is gone (Twirp not_found, code and message reported)"

# --- refusals ---------------------------------------------------------------------------------
BAD=$("$DRIVE" -k "$KEY" -s "not-the-secret-0123456789abcdefghij" sip-token "$ROOM" intruder x c p t)
OUT=$("$VENV_PY" "$PARTICIPANT" "$URL" "$BAD" 2>/dev/null)
RC=$?
like "$OUT" "^refused error=.*401" "a token signed with another secret is refused by the server (401)"
is "$RC" 1 "... and the SDK could not join"
OLD=$(LK_TOKEN_NOW=$(($(date +%s) - 25 * 3600)) "$DRIVE" -k "$KEY" -s "$SECRET" sip-token "$ROOM" \
	late x c p t)
OUT=$("$VENV_PY" "$PARTICIPANT" "$URL" "$OLD" 2>/dev/null)
like "$OUT" "^refused error=.*401.*expired" \
	"a token minted 25 h ago (exp 1 h ago: the SIP token lives 24 h) is refused as expired"
OUT=$("$DRIVE" -u "$URL" -k "$KEY" -s "not-the-secret-0123456789abcdefghij" "create:other:0:0:0:x" 2>/dev/null)
like "$OUT" "step 0 create error=HTTP 401" "an API call signed with another secret is refused (401)"
OUT=$(api "create:$ROOM-2:0:0:0:x" "list:$ROOM-2")
like "$OUT" "step 1 list ok" "with the right secret the same calls succeed"
api "delete:$ROOM-2" >/dev/null

# --- transport errors -------------------------------------------------------------------------
kill "$LK_PID"
wait "$LK_PID" 2>/dev/null
LK_PID=
OUT=$(api "list:$ROOM")
like "$OUT" "step 0 list error=Failed to connect to 127.0.0.1 port $PORT" \
	"with the server gone, the callback reports the connection error"

done_testing
