#!/bin/sh
# The config loader's libFuzzer target: the whole loader (include scanner, libconfig, every
# section parser and check) on arbitrary text, with a dictionary of the format's words.
. "$TOP_SRCDIR/tests/fuzz/fuzz-lib.sh"
s=$TOP_SRCDIR/src
fuzz_run fuzz_config "$s/arena.c $s/buf.c $s/config.c $s/config_src.c $s/config_parse.c \
$s/config_rules.c $s/log.c $s/loop.c $s/number.c $s/strmap.c $s/tz.c $s/timewin.c $s/xmalloc.c" \
    "libconfig sofia-sip-ua openssl" config -dict="$TOP_SRCDIR/tests/fuzz/config.dict"
