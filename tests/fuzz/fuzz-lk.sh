#!/bin/sh
# The LiveKit client's libFuzzer target: SDP answers, trickle JSON, RTP into the Opus
# receiver and the RTCP statistics, RTCP (SR, RR, NACK) into lk_rtcp.
. "$TOP_SRCDIR/tests/fuzz/fuzz-lib.sh"
s=$TOP_SRCDIR/src
fuzz_run fuzz_lk "$s/lk_sdp.c $s/lk_audio.c $s/lk_rtcp.c $s/rtcp.c $s/rtp.c" "glib-2.0 opus" lk
