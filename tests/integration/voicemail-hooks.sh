#!/bin/sh
# What follows a voicemail message, against real peers on 127.0.0.1: the transcription
# webhook (webhook_server.py /transcribe: checks the signature, answers 500 once, then a
# transcript holding the SHA-256 of the audio it got) and the S3 copy (moto's S3 server,
# checking SigV4 signatures, started only after the first upload attempt failed, so the
# retry is what succeeds).
# A sipp carrier leaves the message: a 1000 Hz tone over PCMU, ended by '#'.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 150

SIPP_DIR=$TOP_SRCDIR/tests/integration/sipp
if ! command -v sipp >/dev/null 2>&1 || ! command -v sox >/dev/null 2>&1; then
	not_ok "sipp and sox are installed (contrib/dev/deps.sh test installs them)"
	done_testing
fi
# moto[server] (PyPI) in the system python or in the test venv (contrib/dev/deps.sh test).
PY=
for p in python3 "${SCAIDIAL_TEST_HOME:-$HOME/.cache/scaidial-test}/venv/bin/python3"; do
	if "$p" -c 'import moto.server, boto3' >/dev/null 2>&1; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
	not_ok "moto[server] is installed (contrib/dev/deps.sh test installs it)"
	done_testing
fi
cd "$T" || exit 1
CARRIER=127.0.0.3
SECRET=vm-hooks-secret
HOOK_PID= MOTO_PID=
trap 'kill $HOOK_PID $MOTO_PID 2>/dev/null; cleanup' EXIT

python3 "$TOP_SRCDIR/tests/integration/webhook_server.py" --secret "$SECRET" \
    --log "$T/events.jsonl" --port-file "$T/hook.port" 2>"$T/hook.err" &
HOOK_PID=$!
wait_until 10 test -s "$T/hook.port" || { not_ok "webhook receiver starts"; done_testing; }
HOOK=http://127.0.0.1:$(cat "$T/hook.port")
S3_PORT=$(free_port)

sox -n -r 8000 -c 1 -e u-law "$T/tone-1000.wav" synth 6 sine 1000
sox -n -r 8000 -c 1 -b 16 "$T/greet.wav" synth 0.5 sine 440

write_config
cat >"$T/etc/scaidial.conf" <<EOF
general: {
  sip_listen = [ "udp:127.0.0.1:$SIP_PORT" ];
  database = "$T/state/scaidial.db"; spool_dir = "$T/spool"; control_socket = "$T/ctl.sock";
  log_level = "debug"; rtp_ports = [ 33000, 33999 ];
  voicemail_greeting = "$T/greet.wav"; voicemail_silence_seconds = 2; voicemail_max_seconds = 20;
};
webhooks: { secret = "$SECRET"; call_events = "$HOOK/ok"; transcription = "$HOOK/transcribe"; };
storage: { s3_endpoint = "http://127.0.0.1:$S3_PORT"; s3_bucket = "vm-bucket";
  s3_region = "us-east-1"; s3_access_key = "AKIASCAIDIALTEST0001"; s3_secret_key = "s3-test-secret";
  s3_prefix = "msgs"; };
tenants = ( { id = "acme"; name = "Acme"; policy = { voicemail_transcripts = true; }; },
  { id = "beta"; name = "Beta"; } );
trunks = ( { id = "peer1"; tenant = "acme"; mode = "peer"; address = "sip:$CARRIER:5060";
    allowed_addresses = [ "$CARRIER/32" ]; codecs = [ "PCMU" ]; },
  { id = "peer2"; tenant = "beta"; mode = "peer"; address = "sip:$CARRIER:5060";
    allowed_addresses = [ "$CARRIER/32" ]; codecs = [ "PCMU" ]; } );
dids = ( { number = "+15551230001"; trunk = "peer1"; dialplan = "vm"; },
  { number = "+15551230002"; trunk = "peer2"; dialplan = "vmb"; } );
extensions = ( { id = "3001"; tenant = "acme"; type = "sip"; username = "3001"; password = "x";
    voicemail = true; },
  { id = "4001"; tenant = "beta"; type = "sip"; username = "4001"; password = "x";
    voicemail = true; } );
dialplans = ( { id = "vm"; tenant = "acme";
    rules = ( { priority = 10; action = "voicemail"; extension = "3001"; } ); },
  { id = "vmb"; tenant = "beta";
    rules = ( { priority = 10; action = "voicemail"; extension = "4001"; } ); } );
EOF
start_daemon || { not_ok "daemon starts"; done_testing; }

# call DID CALLER: one PCMU call playing the 1000 Hz tone, '#' 4 s after the answer.
call() {
	sed -e "s/@PT@/0/g; s/@CODEC@/PCMU/g; s|@TONE@|$T/tone-1000.wav|g; s/@WAIT@/4000/g" \
	    "$SIPP_DIR/uac_voicemail.xml" >"$T/uac.xml"
	sipp 127.0.0.1:"$SIP_PORT" -i $CARRIER -p "$(free_port)" -mp "$(free_port)" \
	    -sf "$T/uac.xml" -s "$1" -set from "$2" -m 1 -timeout 40 -timeout_error \
	    >"$T/sipp-$2.out" 2>&1
}
# vm FIELD...: fields of the newest message (JSON null prints as None).
vm() {
	ctl --json voicemail | python3 -c '
import json, sys
m = json.load(sys.stdin)[0]
print("\t".join(str(m.get(k)) for k in sys.argv[1:]))' "$@"
}
sha() { sha256sum "$1" | cut -d" " -f1; }

if call +15551230001 +15557770101; then ok "a message is left for acme/3001"; else
	not_ok "a message is left for acme/3001"; diag "$(tail -n 5 "$T/sipp-+15557770101.out")"; fi
wait_until 3 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json voicemail | grep -q 15557770101"
ID=$(vm id)
WAV=$(vm path)
CALL=$(vm call_id)
f=$(python3 "$TOP_SRCDIR/tests/integration/wavfreq.py" "$WAV")
f=${f% *}
if [ $((f - 1000)) -le 20 ] && [ $((1000 - f)) -le 20 ]; then ok "the message holds the tone ($f Hz)"; else
	not_ok "the message holds the tone ($f Hz, want 1000)"; fi

# S3: nothing listens yet, so the first upload attempt fails; start moto, a retry lands.
wait_until 5 grep -q 'voicemail.upload delivery.*attempt 1 failed' "$T/daemon.log"
like "$(grep 'voicemail.upload delivery' "$T/daemon.log" | head -n 1)" "attempt 1 failed.*retry in" \
    "the first S3 upload attempt fails (no server yet) and is retried"
$PY "$TOP_SRCDIR/tests/integration/s3_server.py" --bucket vm-bucket --port "$S3_PORT" \
    --access-key AKIASCAIDIALTEST0001 --secret-key s3-test-secret \
    --port-file "$T/s3.port" >"$T/moto.log" 2>&1 &
MOTO_PID=$!
wait_until 20 test -s "$T/s3.port" || not_ok "moto's S3 server starts"

# Transcription: 500 first, then the transcript; both attempts are the signed WAV.
wait_until 15 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json voicemail | grep -q sha256="
tr=$(python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
t = [r for r in rows if r["path"] == "/transcribe"]
print(" ".join("%s/%s/%s/%s" % (r["status"], r["attempt"], r["sig_ok"], r["content_type"]) for r in t))
' "$T/events.jsonl")
is "$tr" "500/1/True/audio/wav 200/2/True/audio/wav" \
    "transcription POSTed twice, signed, audio/wav: 500 then 200 (a retry)"
is "$(python3 -c '
import json, sys
t = [json.loads(l) for l in open(sys.argv[1]) if "/transcribe" in l][-1]
print(t["body_sha256"], t["riff"], t["message"], t["call"], t["tenant"], t["extension"])
' "$T/events.jsonl")" "$(sha "$WAV") RIFF $ID $CALL acme 3001" \
    "the body is the recorded WAV, byte for byte; headers name the message, call, tenant, extension"
is "$(vm transcript)" "Zoë said \"call me\" sha256=$(sha "$WAV")" \
    "scaidial-ctl --json voicemail shows the transcript the service answered"
like "$(ctl voicemail)" "Zoë said" "and scaidial-ctl voicemail lists it"
wait_until 5 grep -q voicemail.transcribed "$T/events.jsonl"
is "$(python3 -c '
import json, sys
e = [json.loads(l) for l in open(sys.argv[1]) if "voicemail.transcribed" in l][0]
b = json.loads(e["body"])
print(e["sig_ok"], b["id"], b["extension"], b["transcript"])
' "$T/events.jsonl")" "True $ID 3001 Zoë said \"call me\" sha256=$(sha "$WAV")" "voicemail.transcribed is sent, signed, with the transcript"
rt=$(sed -n 's/.*transcribed in \([0-9]*\) ms.*/\1/p' "$T/daemon.log" | tail -n 1)
diag "transcription round trip (two attempts, backoff included): ${rt:-?} ms"

wait_until 40 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json voicemail | grep -q '\"url\": *\"http'"
URL=$(vm url)
is "$URL" "http://127.0.0.1:$S3_PORT/vm-bucket/msgs/acme/3001/$(basename "$WAV")" \
    "the object URL is stored (prefix/tenant/extension/file)"
like "$(ctl voicemail)" "vm-bucket/msgs/acme/3001" "scaidial-ctl voicemail shows the URL"
$PY -c '
import sys, boto3
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:" + sys.argv[1], region_name="us-east-1",
    aws_access_key_id="AKIASCAIDIALTEST0001", aws_secret_access_key="s3-test-secret")
o = s3.get_object(Bucket="vm-bucket", Key=sys.argv[2])
open(sys.argv[3], "wb").write(o["Body"].read())
print(o["ContentType"])' "$S3_PORT" "msgs/acme/3001/$(basename "$WAV")" "$T/fetched.wav" >"$T/ct" 2>"$T/s3get.err"
is "$(sha "$T/fetched.wav" 2>/dev/null)" "$(sha "$WAV")" "the object's bytes equal the local file"
is "$(cat "$T/ct")" "audio/wav" "stored as audio/wav"
# The server does check signatures: the same PUT signed with another secret is refused.
is "$($PY -c '
import sys, boto3, botocore.exceptions
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:" + sys.argv[1], region_name="us-east-1",
    aws_access_key_id="AKIASCAIDIALTEST0001", aws_secret_access_key="not-the-secret")
try:
    s3.put_object(Bucket="vm-bucket", Key="msgs/forged.wav", Body=b"RIFF")
    print(200)
except botocore.exceptions.ClientError as e:
    print(e.response["ResponseMetadata"]["HTTPStatusCode"])' "$S3_PORT" 2>&1)" 403 \
    "the S3 server checks SigV4: a wrong secret draws 403 (so scaidial's signature was valid)"
is "$(sha "$WAV" 2>/dev/null)" "$(sha "$T/fetched.wav" 2>/dev/null)" "the local file is kept, unchanged, after the upload"
wait_until 5 grep -q voicemail.uploaded "$T/events.jsonl"
is "$(python3 -c '
import json, sys
e = [json.loads(l) for l in open(sys.argv[1]) if "voicemail.uploaded" in l][0]
b = json.loads(e["body"])
print(e["sig_ok"], b["id"], b["url"])
' "$T/events.jsonl")" "True $ID $URL" "voicemail.uploaded is sent, signed, with the URL"

# Tenant beta did not opt in: its message is uploaded but never sent for transcription.
n_before=$(grep -c '"/transcribe"' "$T/events.jsonl")
if call +15551230002 +15557770102; then ok "a message is left for beta/4001"; else
	not_ok "a message is left for beta/4001"; fi
wait_until 15 sh -c "'$SCAIDIAL_CTL' -s '$T/ctl.sock' --json voicemail | grep -q 'acme/4001\|beta/4001'"
wait_until 5 grep -q 'msgs/beta/4001' "$T/events.jsonl"
is "$(vm caller transcript)" "+15557770102	None" "beta's message has no transcript"
is "$(grep -c '"/transcribe"' "$T/events.jsonl")" "$n_before" "and nothing was POSTed for transcription"
like "$(vm url)" "/vm-bucket/msgs/beta/4001/" "but it was uploaded (storage is not per tenant)"

diag "WAV read off the loop: $(grep -o 'bytes read in [0-9]* ms' "$T/daemon.log" | head -n 1)"
diag "S3 after moto came up: $(grep -o 'uploaded to [^ ]* in [0-9]* ms ([0-9]* attempt(s))' "$T/daemon.log" | sed 's/to [^ ]* //' | tr '\n' ';')"
stop_daemon
is "$STOP_RC" 0 "the daemon stops cleanly"
done_testing
