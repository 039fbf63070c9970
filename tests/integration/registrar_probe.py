#!/usr/bin/env python3
"""registrar_probe: a REGISTER with digest credentials, the way a desk phone (or someone
guessing one's password) sends it, and what comes back. Prints the final answer to the
challenged request with the transaction's own headers left out (sip_probe.normalise) and
the nonce masked, so two answers can be compared byte for byte.

  registrar_probe.py --to HOST:PORT [--from ADDR] [--expires N] [--no-auth] [--call-id ID]
                     [--guesses N] USER PASSWORD
"""
import argparse
import hashlib
import random
import re
import sys

from sip_probe import exchange, normalise


def register(user, to, src, cseq, callid, tag, expires, auth=None):
    host, port = to.rsplit(":", 1)
    branch = "z9hG4bK%08x" % random.getrandbits(32)
    lines = [
        "REGISTER sip:%s:%s SIP/2.0" % (host, port),
        "Via: SIP/2.0/UDP %s:5099;branch=%s;rport" % (src, branch),
        "Max-Forwards: 70",
        "From: <sip:%s@%s>;tag=%s" % (user, host, tag),
        "To: <sip:%s@%s>" % (user, host),
        "Call-ID: %s" % callid,
        "CSeq: %d REGISTER" % cseq,
        "Contact: <sip:%s@%s:5099>" % (user, src),
        "Expires: %d" % expires,
    ]
    if auth:
        lines.append("Authorization: " + auth)
    lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def final(resp):
    finals = [r for r in resp if not r.startswith("SIP/2.0 1")]
    return finals[0] if finals else None


def mask(text):
    return re.sub(r'nonce="[^"]*"', 'nonce="N"', text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--to", required=True)
    ap.add_argument("--from", dest="src", default="127.0.0.1")
    ap.add_argument("--expires", type=int, default=60)
    ap.add_argument("--no-auth", action="store_true", help="print the challenge itself")
    ap.add_argument("--call-id", help="the REGISTERs' Call-ID (default: a fresh one)")
    ap.add_argument("--guesses", type=int, default=1,
                    help="try PASSWORD0..PASSWORD(N-1) in turn, quickly (a guesser)")
    ap.add_argument("user")
    ap.add_argument("password")
    a = ap.parse_args()
    if a.guesses > 1:
        out = None
        for i in range(a.guesses):
            out = attempt(a, "%s%d" % (a.password, i))
        print(out)
        return 0
    print(attempt(a, a.password))
    return 0


def attempt(a, password):
    callid = a.call_id or "%016x@%s" % (random.getrandbits(64), a.src)
    tag = "%08x" % random.getrandbits(32)
    r = final(exchange(register(a.user, a.to, a.src, 1, callid, tag, a.expires), a.to, a.src, False))
    if r is None:
        return "no answer"
    if a.no_auth or not r.startswith("SIP/2.0 401"):
        return mask(normalise(r))
    ch = re.search(r"^WWW-Authenticate:\s*Digest (.*)$", r, re.M | re.I).group(1)
    realm = re.search(r'realm="([^"]*)"', ch).group(1)
    nonce = re.search(r'nonce="([^"]*)"', ch).group(1)
    host, port = a.to.rsplit(":", 1)
    uri = "sip:%s:%s" % (host, port)
    cnonce = "%08x" % random.getrandbits(32)
    nc = "00000001"
    ha1 = md5("%s:%s:%s" % (a.user, realm, password))
    ha2 = md5("REGISTER:%s" % uri)
    resp = md5("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2))
    auth = ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
            'algorithm=MD5, qop=auth, nc=%s, cnonce="%s"' % (a.user, realm, nonce, uri, resp, nc, cnonce))
    r = final(exchange(register(a.user, a.to, a.src, 2, callid, tag, a.expires, auth), a.to, a.src, False))
    return mask(normalise(r)) if r else "no answer"


if __name__ == "__main__":
    sys.exit(main())
