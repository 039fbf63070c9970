#!/bin/sh
# src/lk_api_reply.c's libFuzzer target, seeded with real livekit-server answers.
. "$TOP_SRCDIR/tests/fuzz/fuzz-lib.sh"
s=$TOP_SRCDIR/src
fuzz_run fuzz_lk_api_reply "$s/lk_api_reply.c $s/xmalloc.c" "json-c" lk_api_reply -max_len=8192
