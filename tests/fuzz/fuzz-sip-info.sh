#!/bin/sh
# src/sip_info.c's libFuzzer target (the digit of a SIP INFO body), seeded with
# dtmf-relay and dtmf bodies.
. "$TOP_SRCDIR/tests/fuzz/fuzz-lib.sh"
s=$TOP_SRCDIR/src
fuzz_run fuzz_sip_info "$s/sip_info.c" "" sip_info -max_len=1024
