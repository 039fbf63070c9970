#!/bin/sh
# The SIP libFuzzer target: sofia-sip's parser, then our reading of the request (DID,
# caller, dialplan decision); seeded with our own messages and, when at hand, the RFC 4475
# torture messages.
. "$TOP_SRCDIR/tests/fuzz/fuzz-lib.sh"
s=$TOP_SRCDIR/src
[ -n "${SCAIDIAL_TESTDATA:-}" ] && FUZZ_MORE_SEEDS=$SCAIDIAL_TESTDATA/rfc4475
fuzz_run fuzz_sip "$s/arena.c $s/buf.c $s/config.c $s/config_src.c $s/config_parse.c \
$s/config_rules.c $s/log.c $s/loop.c $s/number.c $s/strmap.c $s/tz.c $s/timewin.c $s/xmalloc.c \
$s/dialplan.c $s/sip_route.c" "libconfig sofia-sip-ua openssl" sip
