#!/usr/bin/env bash
# http.sh: src/http.c on the real control loop (tests/integration/http_drive) against a real
# HTTP server on 127.0.0.1 (webhook_server.py, its /raw/ paths): methods, headers and bodies
# as sent, the response size cap, Retry-After as an HTTP date, the total timeout, a refused
# connection, the cap on concurrent transfers with its waiting list, the waiting list's own
# limit, and cancellation by owner.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 90

DRIVE=$TOP_BUILDDIR/tests/integration/http_drive
python3 "$TOP_SRCDIR/tests/integration/webhook_server.py" --secret unused \
	--log "$T/received.jsonl" --port-file "$T/port" 2>"$T/server.err" &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null; cleanup' EXIT
if ! wait_until 10 test -s "$T/port"; then
	not_ok "test server starts"
	done_testing
fi
BASE=http://127.0.0.1:$(cat "$T/port")/raw
done_line() { grep '^done' "$1" | head -n 1; }

# --- requests go out as asked -----------------------------------------------------------------
"$DRIVE" -b -H "X-Test: one two" "$BASE/echo" >"$T/get.out" 2>"$T/get.log"
like "$(done_line "$T/get.out")" '^done 0 err=ok status=200 ' "GET: 200"
ECHO=$(sed -n 2p "$T/get.out")
is "$(jq -r '[.method, .headers["x-test"], .headers["user-agent"]] | @tsv' <<<"$ECHO")" \
	"$(printf 'GET\tone two\tscaidial/%s' "$(sed -n 's/^AC_INIT(\[scaidial\], \[\([^]]*\)\].*/\1/p' "$TOP_SRCDIR/configure.ac")")" \
	"GET without a body, our header, User-Agent scaidial/VERSION"

BODY=$(python3 -c 'print("{\"k\":\"" + "y" * 3000 + "\"}")')
"$DRIVE" -b -H "Content-Type: application/json" -d "$BODY" "$BASE/echo" >"$T/post.out" 2>&1
ECHO=$(sed -n 2p "$T/post.out")
is "$(jq -r '.method' <<<"$ECHO")" POST "a body makes it a POST"
is "$(jq -r '.body' <<<"$ECHO")" "$BODY" "the 3 KB body arrived intact"
is "$(jq -r '.headers.expect // "none"' <<<"$ECHO")" none "no Expect: 100-continue round trip"
"$DRIVE" -b -X PUT -d 'x=1' "$BASE/echo" >"$T/put.out" 2>&1
is "$(sed -n 2p "$T/put.out" | jq -r '[.method, .body] | @tsv')" "$(printf 'PUT\tx=1')" "another method with a body (PUT)"

# --- the response size cap --------------------------------------------------------------------
"$DRIVE" -m 65536 "$BASE/big" >"$T/big.out" 2>&1
like "$(done_line "$T/big.out")" 'err=too_large status=200 .*error=response too large' \
	"a 100 KiB answer over a 64 KiB cap: too_large"
"$DRIVE" -m 200000 "$BASE/big" >"$T/big2.out" 2>&1
like "$(done_line "$T/big2.out")" 'err=ok status=200 len=102400 ' "under a 200 KB cap: all 102400 bytes"

# --- Retry-After as an HTTP date --------------------------------------------------------------
"$DRIVE" "$BASE/date429" >"$T/date.out" 2>&1
RA=$(sed -n 's/.*retry_after=\([-0-9]*\).*/\1/p' "$T/date.out")
like "$(done_line "$T/date.out")" 'err=ok status=429 ' "429 is a complete answer (err=ok)"
check "Retry-After: <date 3 s ahead> read as 2-3 s (got $RA)" test "$RA" -ge 2 -a "$RA" -le 3

# --- timeouts and connection errors -----------------------------------------------------------
"$DRIVE" -t 300 "$BASE/hang" >"$T/hang.out" 2>&1
like "$(done_line "$T/hang.out")" 'err=timeout status=0 .*error=Operation timed out after 3[0-9][0-9] milliseconds' \
	"a silent server: timeout after the 300 ms total"
EL=$(sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p' "$T/hang.out")
check "... and it took 300-600 ms (got $EL)" test "$EL" -ge 295 -a "$EL" -le 600
CLOSED=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$DRIVE" "http://127.0.0.1:$CLOSED/" >"$T/refused.out" 2>&1
like "$(done_line "$T/refused.out")" "err=connect status=0 .*Couldn't connect to server" \
	"a closed port: connect error"
"$DRIVE" "ftp://127.0.0.1:$CLOSED/" >"$T/ftp.out" 2>&1
like "$(done_line "$T/ftp.out")" "err=other status=0 .*(not supported|disabled)" \
	"only http and https are allowed (ftp refused)"

# --- TLS: certificates are verified ------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
python3 - "$T" >/dev/null 2>&1 <<'PY' &
import http.server, os, ssl, sys
t = sys.argv[1]
srv = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(t + "/cert.pem", t + "/key.pem")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(t + "/tls.port.tmp", "w").write(str(srv.server_address[1]))
os.rename(t + "/tls.port.tmp", t + "/tls.port")
srv.serve_forever()
PY
TLS_PID=$!
trap 'kill "$SERVER_PID" "$TLS_PID" 2>/dev/null; cleanup' EXIT
if wait_until 10 test -s "$T/tls.port"; then
	"$DRIVE" "https://127.0.0.1:$(cat "$T/tls.port")/" >"$T/tls.out" 2>&1
	like "$(done_line "$T/tls.out")" 'err=other status=0 .*SSL certificate problem: self.signed certificate' \
		"https to a self-signed server: refused, the certificate is verified"
else
	not_ok "the TLS test server starts"
fi

# --- at most 32 transfers at once, the rest wait -------------------------------------------
"$DRIVE" -n 40 "$BASE/sleep" >"$T/cap.out" 2>&1
is "$(grep -c '^done .* err=ok status=200' "$T/cap.out")" 40 "40 requests to a 0.3 s server: all answered"
like "$(tail -n 1 "$T/cap.out")" 'counts max_active=32 max_waiting=8 refused=0' \
	"32 ran at once, 8 waited their turn"
SLOW=$(grep '^done' "$T/cap.out" | sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p' | sort -n | tail -n 1)
check "the 8 waiting ones ran after a first 0.3 s round (slowest $SLOW ms >= 600)" test "$SLOW" -ge 590

# --- the waiting list's limit, and cancellation by owner ------------------------------------
"$DRIVE" -n 300 -x 300 "$BASE/hang" >"$T/cancel.out" 2>&1
like "$(grep '^cancel_owner' "$T/cancel.out")" '^cancel_owner 288$' \
	"300 requests: 32 running + 256 waiting accepted, http_cancel_owner() cancelled all 288"
like "$(tail -n 1 "$T/cancel.out")" 'refused=12 cancelled=288' \
	"12 refused at once (waiting list full); every cancelled callback ran with err=cancelled"
is "$(grep -c '^done .* err=cancelled' "$T/cancel.out")" 288 "288 cancelled completions"

done_testing
