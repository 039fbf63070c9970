#!/bin/sh
# src/vmpost_answer.c's libFuzzer target (the transcription answer parser), seeded with
# JSON and plain-text answers.
. "$TOP_SRCDIR/tests/fuzz/fuzz-lib.sh"
s=$TOP_SRCDIR/src
fuzz_run fuzz_vmpost_answer "$s/vmpost_answer.c $s/buf.c $s/xmalloc.c" "" vmpost_answer -max_len=8192
