#!/usr/bin/env python3
"""sip_probe: sends raw SIP requests the way a scanner or a broken peer would, and prints
what comes back. Used by the integration tests to compare refusals and to replay the
RFC 4475 torture messages.

  sip_probe.py ask  --to HOST:PORT [--from ADDR] [--tcp] METHOD USER   -> the final response
  sip_probe.py raw  --to HOST:PORT [--from ADDR] [--tcp] FILE...       -> first status per file
"""
import argparse
import random
import socket
import sys
import time


def exchange(data, to, src, tcp, timeout=2.0):
    """Sends data, returns the list of responses received within timeout (as text)."""
    host, port = to.rsplit(":", 1)
    fam = socket.AF_INET
    kind = socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM
    s = socket.socket(fam, kind)
    s.settimeout(timeout)
    s.bind((src, 0))
    out = []
    try:
        if tcp:
            s.connect((host, int(port)))
            s.sendall(data)
        else:
            s.sendto(data, (host, int(port)))
        deadline = time.time() + timeout
        buf = b""
        while time.time() < deadline:
            try:
                chunk = s.recv(65535)
            except socket.timeout:
                break
            if not chunk:
                break
            if tcp:
                buf += chunk
                while b"\r\n\r\n" in buf:
                    head, rest = buf.split(b"\r\n\r\n", 1)
                    n = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith((b"content-length:", b"l:")):
                            n = int(line.split(b":", 1)[1].strip() or 0)
                    out.append((head + b"\r\n\r\n" + rest[:n]).decode("utf-8", "replace"))
                    buf = rest[n:]
            else:
                out.append(chunk.decode("utf-8", "replace"))
            if out and not out[-1].startswith("SIP/2.0 1"):
                break
    finally:
        s.close()
    return out


def request(method, user, to, src, tcp):
    host, port = to.rsplit(":", 1)
    tag = "%08x" % random.getrandbits(32)
    branch = "z9hG4bK%08x" % random.getrandbits(32)
    callid = "%016x@%s" % (random.getrandbits(64), src)
    transport = "TCP" if tcp else "UDP"
    uri = "sip:%s@%s:%s" % (user, host, port)
    lines = [
        "%s %s SIP/2.0" % (method, uri),
        "Via: SIP/2.0/%s %s:5099;branch=%s;rport" % (transport, src, branch),
        "Max-Forwards: 70",
        "From: <sip:probe@%s>;tag=%s" % (src, tag),
        "To: <%s>" % uri,
        "Call-ID: %s" % callid,
        "CSeq: 1 %s" % method,
        "Contact: <sip:probe@%s:5099>" % src,
        "User-Agent: sip-probe",
        "Content-Length: 0",
        "", "",
    ]
    return "\r\n".join(lines).encode()


# Headers that belong to the transaction, not to the answer.
OWN = ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq", "content-length", "l")


def normalise(resp):
    head = resp.split("\r\n\r\n", 1)[0].split("\r\n")
    keep = [head[0]]
    for h in head[1:]:
        name = h.split(":", 1)[0].strip().lower()
        if name not in OWN:
            keep.append(h)
    return "\n".join(keep)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["ask", "raw"])
    ap.add_argument("--to", required=True)
    ap.add_argument("--from", dest="src", default="127.0.0.1")
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("args", nargs="+")
    a = ap.parse_args()
    if a.mode == "ask":
        method, user = a.args
        resp = exchange(request(method, user, a.to, a.src, a.tcp), a.to, a.src, a.tcp)
        finals = [r for r in resp if not r.startswith("SIP/2.0 1")]
        if not finals:
            print("no answer")
            return 1
        print(normalise(finals[0]))
        return 0
    for path in a.args:
        with open(path, "rb") as f:
            data = f.read()
        resp = exchange(data, a.to, a.src, a.tcp, timeout=1.0)
        finals = [r.split("\r\n", 1)[0] for r in resp if not r.startswith("SIP/2.0 1")]
        print("%s %s" % (path.rsplit("/", 1)[-1], finals[0] if finals else "no answer"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
