#!/usr/bin/env python3
"""s3_server.py: moto's S3 server on 127.0.0.1 for tests/integration/voicemail-hooks.sh.

Requests must carry a valid AWS SigV4 signature of --access-key/--secret-key (moto's IAM
authentication, INITIAL_NO_AUTH_ACTION_COUNT=0, with a user allowed everything); others
draw 403. The bucket exists before the port opens, so no request can arrive before it.
The port (--port, 0 = any) is written to --port-file once the server answers.
"""
import argparse
import os
import time

os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"  # before moto reads it

from moto.core import DEFAULT_ACCOUNT_ID  # noqa: E402
from moto.iam.models import iam_backends  # noqa: E402
from moto.s3.models import s3_backends  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

ALLOW_ALL = ('{"Version": "2012-10-17", "Statement": '
             '[{"Effect": "Allow", "Action": "*", "Resource": "*"}]}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    iam = iam_backends[DEFAULT_ACCOUNT_ID]["global"]
    iam.create_user("us-east-1", "scaidial")
    key = iam.create_access_key("scaidial")
    # moto draws random keys; the test's configuration holds fixed ones.
    key.access_key_id = args.access_key
    key.secret_access_key = args.secret_key
    pol = iam.create_policy(description="", path="/", policy_document=ALLOW_ALL,
                            policy_name="all", tags=[])
    iam.attach_user_policy(pol.arn, "scaidial")
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
