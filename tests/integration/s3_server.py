#!/usr/bin/env python3
"""s3_server.py: moto's S3 server on 127.0.0.1 for tests/integration/voicemail-hooks.sh.

The bucket exists before the port opens (created in moto's backend first), so that no
request can arrive before it. The port (--port, 0 = any) is written to --port-file once
the server answers.
"""
import argparse
import os
import time

from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends
from moto.server import ThreadedMotoServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    s3_backends[DEFAULT_ACCOUNT_ID]["global"].create_bucket(args.bucket, "us-east-1")
    srv = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    srv.start()
    host, port = srv.get_host_and_port()
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(args.port_file + ".tmp", args.port_file)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
