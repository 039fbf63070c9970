#!/bin/sh
# The LiveKit client's libFuzzer target: SDP answers, trickle JSON, RTP into the Opus
# receiver.
. "$TOP_SRCDIR/tests/fuzz/fuzz-lib.sh"
s=$TOP_SRCDIR/src
fuzz_run fuzz_lk "$s/lk_sdp.c $s/lk_audio.c" "glib-2.0 opus" lk
