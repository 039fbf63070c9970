#!/bin/sh
# The media parsers' libFuzzer target: SDP offer/answer, RTP, RTCP, RFC 4733, codec
# payloads, base64, jitter buffer.
. "$TOP_SRCDIR/tests/fuzz/fuzz-lib.sh"
s=$TOP_SRCDIR/src
fuzz_run fuzz_media "$s/sdp.c $s/rtp.c $s/rtcp.c $s/dtmf.c $s/codec.c $s/jitter.c \
$s/xmalloc.c $s/log.c" "opus spandsp" media -max_len=4096
