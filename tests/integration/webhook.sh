#!/usr/bin/env bash
# webhook.sh: webhook deliveries (src/webhook.c over src/http.c on the real control loop,
# driven by tests/integration/webhook_drive) against a real HTTP receiver on 127.0.0.1
# (webhook_server.py) that checks every signature with the shared secret and records what
# it received: first-try success, 5xx retried with backoff, 429 + Retry-After, a receiver
# that never answers, a refused connection, a wrong secret, a full queue, cancellation,
# the loop's responsiveness during slow receivers, and the delivery latency.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 120

DRIVE=$TOP_BUILDDIR/tests/integration/webhook_drive
SECRET='s3cr3t-for-tests'
LOG=$T/received.jsonl
: >"$LOG"

python3 "$TOP_SRCDIR/tests/integration/webhook_server.py" --secret "$SECRET" \
	--log "$LOG" --port-file "$T/port" 2>"$T/server.err" &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null; cleanup' EXIT
if ! wait_until 10 test -s "$T/port"; then
	not_ok "webhook server starts"
	done_testing
fi
PORT=$(cat "$T/port")
BASE=http://127.0.0.1:$PORT

# drive NAME ARGS...: runs the driver; stdout in $T/NAME.out, its log in $T/NAME.log.
drive() {
	local name=$1
	shift
	"$DRIVE" -k "$SECRET" "$@" >"$T/$name.out" 2>"$T/$name.log"
}
# field FILE KEY: the value of KEY=... on the "result" line(s) of FILE.
field() { sed -n "s/^result .* $2=\([^ ]*\).*/\1/p" "$1"; }
outcome() { awk '$1 == "result" { print $3 }' "$1"; }
# received JQ: the receiver's records filtered and mapped by a jq program (one per line).
received() { jq -r "$1" "$LOG"; }

# --- 1. first try --------------------------------------------------------------------------
drive ok -u "$BASE/ok" -e call.ringing
is "$(outcome "$T/ok.out")" delivered "200 on the first try: delivered"
is "$(field "$T/ok.out" attempts)" 1 "... in one attempt"
ID=$(field "$T/ok.out" id)
like "$ID" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' \
	"the delivery id is a random UUID"
is "$(received "select(.delivery == \"$ID\") | [.path, .event, .attempt, .sig_ok, .content_type] | @tsv")" \
	"$(printf '/ok\tcall.ringing\t1\ttrue\tapplication/json')" \
	"the receiver got it once, with X-Scaidial-Event, attempt 1, a valid signature, JSON"
is "$(received "select(.delivery == \"$ID\") | .body")" \
	'{"event":"call.ringing","seq":0,"note":"café \"quoted\""}' \
	"the body arrived byte for byte (UTF-8 and escapes included)"
like "$(cat "$T/ok.out")" 'stats sent=1 failed=0 retried=0 dropped=0 queued=0 http_active=0' \
	"counters: sent=1, nothing failed, retried or dropped"

# A 2xx is final even when its body is more than webhook.c reads (64 KiB).
drive chatty -u "$BASE/chatty" -b 50
is "$(outcome "$T/chatty.out"):$(field "$T/chatty.out" attempts)" delivered:1 \
	"200 with a 100 KiB body: delivered, not retried"

# --- 2. 500, 500, 200 ----------------------------------------------------------------------
drive flaky -u "$BASE/flaky" -e bot.kickoff -b 400 -a 5
ID=$(field "$T/flaky.out" id)
is "$(outcome "$T/flaky.out")" delivered "500 twice then 200: delivered"
is "$(field "$T/flaky.out" attempts)" 3 "... on the third attempt"
is "$(received "select(.delivery == \"$ID\") | \"\(.attempt):\(.status)\"" | tr '\n' ' ')" \
	"1:500 2:500 3:200 " "the receiver saw attempts 1, 2, 3 of one delivery id, answered 200 once"
is "$(received "select(.delivery == \"$ID\") | .body" | sort -u | wc -l)" 1 \
	"every attempt carried the same body"
# Equal jitter: the n-th delay lies in [base*2^(n-1)/2, base*2^(n-1)].
GAPS=$(received "select(.delivery == \"$ID\") | .t" | awk 'NR > 1 { printf "%d ", ($1 - p) * 1000 } { p = $1 }')
read -r G1 G2 <<<"$GAPS"
check "first backoff within [200, 400] ms plus slack (got $G1 ms)" \
	test "$G1" -ge 190 -a "$G1" -le 700
check "second backoff within [400, 800] ms plus slack (got $G2 ms)" \
	test "$G2" -ge 390 -a "$G2" -le 1100
like "$(cat "$T/flaky.out")" 'stats sent=1 failed=0 retried=2 dropped=0' "counters: sent=1, retried=2"
like "$(cat "$T/flaky.log")" \
	"warn  webhook: bot.kickoff delivery $ID to $BASE/flaky attempt 1 failed: HTTP 500; retry in [0-9]+ ms" \
	"each failed attempt is logged in one line with the delivery id, the URL and the reason"

# The time budget ends retries too: after a 200-400 ms wait, the next (400-800 ms) would
# start past the 500 ms budget, so attempt 2 is the last, whatever max_attempts says.
drive budget -u "$BASE/flaky" -a 10 -b 400 -T 500
is "$(outcome "$T/budget.out"):$(field "$T/budget.out" attempts)" failed:2 \
	"max_total_ms 500: given up after 2 of 10 attempts"
like "$(cat "$T/budget.log")" "attempt 2 failed: HTTP 500; no retry" "... the last failure says no retry"

# --- 3. 429 with Retry-After: 1 -------------------------------------------------------------
drive busy -u "$BASE/busy" -b 50
ID=$(field "$T/busy.out" id)
is "$(outcome "$T/busy.out"):$(field "$T/busy.out" attempts)" delivered:2 "429 then 200: delivered on attempt 2"
GAP=$(received "select(.delivery == \"$ID\") | .t" | awk 'NR > 1 { printf "%d", ($1 - p) * 1000 } { p = $1 }')
check "Retry-After: 1 honoured over a 50 ms backoff (waited $GAP ms)" test "$GAP" -ge 990 -a "$GAP" -le 1600
like "$(cat "$T/busy.log")" "attempt 1 failed: HTTP 429; retry in 1000 ms" "the retry is scheduled 1000 ms out"

# --- 4. a receiver that never answers ---------------------------------------------------------
drive hang -u "$BASE/hang" -e voicemail.created -t 400 -a 3 -b 100
ID=$(field "$T/hang.out" id)
is "$(outcome "$T/hang.out"):$(field "$T/hang.out" attempts)" failed:3 \
	"no answer: the callback reports failure after 3 attempts"
like "$(grep '^result' "$T/hang.out")" 'error=Operation timed out after 4[0-9][0-9] milliseconds' \
	"each attempt was cut at the 400 ms total timeout"
EL=$(field "$T/hang.out" elapsed_ms)
check "elapsed $EL ms >= 3 x 400 ms + backoffs" test "$EL" -ge 1250 -a "$EL" -le 4000
is "$(received "select(.delivery == \"$ID\") | .attempt" | tr '\n' ' ')" "1 2 3 " \
	"the receiver saw 3 attempts"
like "$(cat "$T/hang.log")" \
	"error webhook: voicemail.created delivery $ID to $BASE/hang given up after 3 attempt\(s\) in [0-9]+ ms: Operation timed out" \
	"the give-up is logged in one line"
is "$(grep -c 'attempt [0-9] failed' "$T/hang.log")" 3 "one line per failed attempt"

# --- 5. a refused connection ------------------------------------------------------------------
CLOSED=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
drive refused -u "http://127.0.0.1:$CLOSED/x?token=hidden" -a 3 -b 50
is "$(outcome "$T/refused.out"):$(field "$T/refused.out" attempts)" failed:3 "refused: failed after 3 attempts"
like "$(grep '^result' "$T/refused.out")" "Couldn't connect to server" "... because the connection was refused"
like "$(cat "$T/refused.out")" 'stats sent=0 failed=1 retried=2 dropped=0' "counters: failed=1, retried=2"
check "the URL's query string (credentials) never reaches the log" \
	sh -c "grep -q 'to http://127.0.0.1:$CLOSED/x attempt' '$T/refused.log' && ! grep -q hidden '$T/refused.log'"

# --- 6. a wrong secret: 401 is final ----------------------------------------------------------
"$DRIVE" -k wrong-secret -u "$BASE/ok" -a 5 -b 50 >"$T/wrong.out" 2>"$T/wrong.log"
ID=$(field "$T/wrong.out" id)
is "$(outcome "$T/wrong.out"):$(field "$T/wrong.out" attempts):$(field "$T/wrong.out" status)" failed:1:401 \
	"a body signed with another secret is refused (401) and not retried"
is "$(received "select(.delivery == \"$ID\") | .sig_ok")" false "the receiver's check did fail"
like "$(cat "$T/wrong.log")" "attempt 1 failed: HTTP 401; no retry" "the final failure says: no retry"

# --- 7. a full queue drops the oldest waiting delivery ----------------------------------------
drive queue -u "$BASE/slow" -n 6 -q 3 -f 1
is "$(awk '$1 == "result" { printf "%s:%s ", $2, $3 }' "$T/queue.out")" \
	"1:dropped 2:dropped 3:dropped 0:delivered 4:delivered 5:delivered " \
	"queue of 3, one in flight: seqs 1-3 are dropped as 3-5 arrive, then 0, 4, 5 are delivered"
like "$(cat "$T/queue.out")" 'stats sent=3 failed=0 retried=0 dropped=3' "counters: dropped=3"
is "$(grep -c 'error webhook: queue full (3), dropped call.ringing delivery' "$T/queue.log")" 3 \
	"each drop is logged"

# --- 8. cancellation: a call that ends drops its deliveries -----------------------------------
BEFORE=$(wc -l <"$LOG")
drive cancel -u "$BASE/flaky" -n 3 -b 2000 -x 300
is "$(grep -c '^result' "$T/cancel.out"):$(sed -n 's/^cancelled //p' "$T/cancel.out")" 0:3 \
	"webhook_cancel() dropped 3 deliveries in backoff, and no callback ran"
sleep 0.3
is "$(($(wc -l <"$LOG") - BEFORE))" 3 "the receiver saw only the 3 first attempts"
like "$(cat "$T/cancel.out")" 'queued=0 http_active=0' "nothing is left queued or in flight"

# --- 9. the loop stays responsive while receivers are slow or silent -------------------------
drive probe -u "$BASE/slow" -n 8 -f 8 -t 3000
is "$(outcome "$T/probe.out" | sort | uniq -c | awk '{ print $1 " " $2 }')" "8 delivered" \
	"8 deliveries to a receiver that takes 1.5 s each, all in flight at once"
SLOWEST=$(field "$T/probe.out" elapsed_ms | sort -n | tail -n 1)
check "... served concurrently: the slowest took $SLOWEST ms, not 8 x 1.5 s" test "$SLOWEST" -lt 3000
LATE=$(sed -n 's/^probe ticks=\([0-9]*\) max_late_ms=\([0-9]*\)/\1 \2/p' "$T/probe.out")
read -r TICKS MAXLATE <<<"$LATE"
check "a 20 ms loop timer kept firing meanwhile ($TICKS ticks in ~1.5 s)" test "$TICKS" -ge 50
check "... never more than 100 ms late (max $MAXLATE ms)" test "$MAXLATE" -le 100

# --- 10. delivery latency: 100 deliveries one after another -----------------------------------
drive latency -u "$BASE/ok" -n 100 -S
is "$(outcome "$T/latency.out" | grep -c delivered)" 100 "100 sequential deliveries all delivered"
MEDIAN=$(field "$T/latency.out" elapsed_ms | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
P99=$(field "$T/latency.out" elapsed_ms | sort -n | awk '{ a[NR] = $1 } END { print a[int(NR * 0.99)] }')
diag "delivery latency to the local receiver: median $MEDIAN ms, p99 $P99 ms"
check "median delivery latency under 20 ms (got $MEDIAN ms)" test "$MEDIAN" -lt 20

# --- 11. signatures verified on every request -------------------------------------------------
is "$(received 'select(.sig_ok == false) | .delivery' | sort -u | wc -l)" 1 \
	"every request the receiver saw had a valid signature, except the wrong-secret one"

done_testing
