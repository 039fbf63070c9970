#!/usr/bin/env python3
"""webhook_server.py: a webhook receiver for tests/integration/webhook.sh (stdlib only).

Listens on 127.0.0.1 (port 0 = any; the port is written to --port-file), checks every
request's X-Scaidial-Signature against --secret (answering 401 when it does not match), and
appends one JSON line per request to --log: arrival time (monotonic s), path, headers of
interest, whether the signature matched, the body, and the status it answered.

How it answers depends on the path and on how many times it has seen that delivery id:
  /ok     200
  /flaky  500 on the first two attempts of a delivery, then 200
  /busy   429 with Retry-After: 1 on the first attempt, then 200
  /bad    400
  /slow   200 after 1.5 s
  /chatty 200 with a 100 KiB body (more than webhook.c reads)
  /hang   reads the request and never answers (until the test kills the server)
  /transcribe  a transcription service: 500 on the first attempt of a delivery, then 200
          with {"transcript": "Zoë said \"call me\" sha256=<hex of the body>"}; the log
          holds the body's length and SHA-256 instead of the body (it is audio)

Paths under /raw/ are for tests/integration/http.sh (any method, no signature check):
  /raw/echo       200 with a JSON echo of the method, path, headers and body
  /raw/big        200 with a 100 KiB body
  /raw/date429    429 with Retry-After as an HTTP date 3 s ahead
  /raw/sleep      200 after 0.3 s
  /raw/hang       never answers
"""
import argparse
import hashlib
import hmac
import json
import os
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
SEEN = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle + delayed ACK add 40 ms.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, headers=(), body=None):
        if body is None:
            body = b'{"ok":true}' if status == 200 else b'{"error":"test"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def raw(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if self.path == "/raw/echo":
            out = json.dumps({"method": self.command, "path": self.path,
                              "headers": {k.lower(): v for k, v in self.headers.items()},
                              "body": body.decode("utf-8", "replace")}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        elif self.path == "/raw/big":
            out = b"x" * 102400
            self.send_response(200)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        elif self.path == "/raw/date429":
            self.answer(429, (("Retry-After", formatdate(time.time() + 3, usegmt=True)),))
        elif self.path == "/raw/sleep":
            time.sleep(0.3)
            self.answer(200)
        elif self.path == "/raw/hang":
            time.sleep(3600)
        else:
            self.answer(404)

    def do_GET(self):
        self.raw()

    def do_PUT(self):
        self.raw()

    def do_POST(self):
        if self.path.startswith("/raw/"):
            self.raw()
            return
        t = time.monotonic()
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        want = "sha256=" + hmac.new(self.server.secret, body, hashlib.sha256).hexdigest()
        got = self.headers.get("X-Scaidial-Signature", "")
        sig_ok = hmac.compare_digest(want, got)
        delivery = self.headers.get("X-Scaidial-Delivery", "")
        with LOCK:
            SEEN[delivery] = SEEN.get(delivery, 0) + 1
            nth = SEEN[delivery]
        status, extra, delay, answer = 200, (), 0.0, None
        if not sig_ok:
            status = 401
        elif self.path == "/flaky" and nth <= 2:
            status = 500
        elif self.path == "/busy" and nth == 1:
            status, extra = 429, (("Retry-After", "1"),)
        elif self.path == "/bad":
            status = 400
        elif self.path == "/slow":
            delay = 1.5
        elif self.path == "/transcribe":
            digest = hashlib.sha256(body).hexdigest()
            if nth == 1:
                status = 500
            else:
                answer = json.dumps({"language": "en", "words": [{"w": "Zo\u00eb"}],
                                     "transcript": 'Zo\u00eb said "call me" sha256=' + digest})
                answer = answer.encode()
        rec = {
            "t": t, "path": self.path, "nth": nth,
            "event": self.headers.get("X-Scaidial-Event"),
            "delivery": delivery,
            "attempt": self.headers.get("X-Scaidial-Attempt"),
            "content_type": self.headers.get("Content-Type"),
            "sig_ok": sig_ok, "status": status,
        }
        if self.path == "/transcribe":
            rec.update({"body_len": len(body), "body_sha256": hashlib.sha256(body).hexdigest(),
                        "message": self.headers.get("X-Scaidial-Message"),
                        "call": self.headers.get("X-Scaidial-Call"),
                        "extension": self.headers.get("X-Scaidial-Extension"),
                        "tenant": self.headers.get("X-Scaidial-Tenant"),
                        "riff": body[:4].decode("latin-1"), "answer": (answer or b"").decode()})
        else:
            rec["body"] = body.decode("utf-8")
        with LOCK, open(self.server.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
        if self.path == "/hang":
            time.sleep(3600)
            return
        if delay:
            time.sleep(delay)
        if self.path == "/chatty" and status == 200:
            self.answer(status, extra, b"x" * 102400)
            return
        self.answer(status, extra, answer)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secret", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    ThreadingHTTPServer.request_queue_size = 128  # http.sh opens 32 connections at once
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.secret = args.secret.encode()
    srv.log = args.log
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
