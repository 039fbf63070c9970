#!/bin/sh
# The registrar's libFuzzer target: sofia-sip's parser, then the digest check of desk
# phones' REGISTERs and INVITEs (Authorization / Proxy-Authorization, nonce, username).
. "$TOP_SRCDIR/tests/fuzz/fuzz-lib.sh"
s=$TOP_SRCDIR/src
fuzz_run fuzz_registrar "$s/arena.c $s/buf.c $s/config.c $s/config_src.c $s/config_parse.c \
$s/config_rules.c $s/log.c $s/loop.c $s/number.c $s/strmap.c $s/tz.c $s/timewin.c $s/xmalloc.c \
$s/sip_guard.c $s/reload.c $s/store.c $s/store_read.c $s/store_schema.c \
$s/sip_registrar.c $s/sip_registrar_auth.c" "libconfig sofia-sip-ua openssl sqlite3 libsystemd" registrar
