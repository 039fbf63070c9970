#!/bin/sh
# Hot reload of the running daemon: every way an operator or a tool changes the files,
# debouncing, refusal of invalid edits (with FILE:LINE kept for status), SIGHUP and
# `scaidial-ctl reload`; and `scaidial -t`.
. "$TOP_SRCDIR/tests/integration/lib.sh"
tap_watchdog 120

conf=$T/etc/scaidial.conf

# json_get KEY: the value of the first KEY anywhere in `status --json`.
json_get() {
	ctl --json status | python3 -c '
import json, sys
def find(o, k):
    if isinstance(o, dict):
        if k in o: return o[k]
        o = list(o.values())
    if isinstance(o, list):
        for v in o:
            r = find(v, k)
            if r is not None: return r
    return None
v = find(json.load(sys.stdin), sys.argv[1])
print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$1"
}

generation() { json_get generation; }

gen_is() { [ "$(generation)" = "$1" ]; }

# wait_generation N: waits up to 1 s (the promise) for generation N.
wait_generation() { wait_until 1 gen_is "$1"; }

dids() { ctl --json dids; }

status_has() { ctl status 2>&1 | grep -q "$1"; }
status_lacks() { ! status_has "$1"; }

# ---- scaidial -t
write_config
out=$("$SCAIDIAL" -t -c "$conf" 2>&1); rc=$?
is "$rc" 0 "-t on a valid configuration exits 0"
like "$out" "configuration OK: 1 file, 1 tenants, 1 trunks, 1 DIDs" "-t prints a one-line summary"
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 1 "-t summary is one line"
cp "$conf" "$T/good.conf"
sed -i 's/mode = "peer"/mode = "pear"/; s/dialplan = "main"/dialplan = "mian"/' "$conf"
out=$("$SCAIDIAL" -t -c "$conf" 2>&1 >/dev/null); rc=$?
is "$rc" 1 "-t on an invalid configuration exits 1"
like "$out" "^$conf:[0-9]+: trunk \"carrier1\": mode = \"pear\"" "-t names FILE:LINE of the bad mode"
like "$out" "$conf:[0-9]+: did \"\\+15551230001\": no dialplan \"mian\"" "-t reports every error, not only the first"
out=$("$SCAIDIAL" -f -c "$conf" 2>&1); rc=$?
is "$rc" 1 "the daemon refuses to start on an invalid configuration"
like "$out" "not starting" "and says so"
cp "$T/good.conf" "$conf"

# ---- a running daemon
start_daemon || { not_ok "daemon starts"; done_testing; }
ok "daemon starts on the valid configuration"
is "$(generation)" 1 "first generation is 1"

# An edit in place (same inode, like `>>` or an editor that writes through).
sed 's/dids = ( { number = "+15551230001"; trunk = "carrier1"; dialplan = "main"; } );/dids = ( { number = "+15551230001"; trunk = "carrier1"; dialplan = "main"; }, { number = "+15551230002"; trunk = "carrier1"; dialplan = "main"; } );/' "$T/good.conf" >"$T/edit1"
cat "$T/edit1" >"$conf"
if wait_generation 2; then ok "an in-place edit is picked up within 1 s"; else not_ok "an in-place edit is picked up within 1 s"; diag "generation $(generation)"; fi
like "$(dids)" '15551230002' "the new DID is served"

# An invalid edit: refused, reported with FILE:LINE, the old generation keeps serving.
sed 's/type = "wave"; user = "alice@acme";/type = "wave";/' "$T/edit1" >"$conf.tmp" && mv "$conf.tmp" "$conf"
wait_until 2 grep -q "reload refused (inotify)" "$T/daemon.log"
like "$(grep 'reload refused' "$T/daemon.log")" "config: reload refused \\(inotify\\): 1 error, generation 2 stays in force: $conf:[0-9]+: extension \"1001\": user is required" "an invalid edit is refused in one stable log line"
is "$(generation)" 2 "the previous generation stays in force"
like "$(ctl status 2>&1)" "$conf:[0-9]+: extension \"1001\": user is required" "status shows the refusal with FILE:LINE"
like "$(dids)" '15551230002' "the previous configuration keeps serving"
out=$(ctl reload 2>&1); rc=$?
is "$rc" 1 "scaidial-ctl reload exits 1 on an invalid configuration"
like "$out" "$conf:[0-9]+: extension \"1001\": user is required" "and prints the FILE:LINE errors"

# The fix, saved by rename as editors do.
cp "$T/edit1" "$conf.swp" && sed -i 's/dialplan = "main"; } );/dialplan = "main"; }, { number = "+15551230003"; trunk = "carrier1"; dialplan = "main"; } );/' "$conf.swp" && mv "$conf.swp" "$conf"
if wait_generation 3; then ok "a save by rename is picked up within 1 s"; else not_ok "a save by rename is picked up within 1 s"; fi
like "$(dids)" '15551230003' "the fixed configuration is served"
if ctl status | grep -q "user is required"; then not_ok "status forgets the refusal once a valid generation is in"; else ok "status forgets the refusal once a valid generation is in"; fi

# sed -i (a new file renamed over the old one).
sed -i 's/log_level = "debug"/log_level = "info"/' "$conf"
if wait_generation 4; then ok "sed -i is picked up within 1 s"; else not_ok "sed -i is picked up within 1 s"; fi
sed -i 's/log_level = "info"/log_level = "debug"/' "$conf"
wait_generation 5

# A burst of writes is one reload.
for i in $(seq 20); do printf '# burst %s\n' "$i" >>"$conf"; done
sleep 1
is "$(generation)" 6 "a burst of 20 writes makes one reload"

# Unchanged files change nothing; SIGHUP takes the same path.
kill -HUP "$DAEMON_PID"
wait_until 2 grep -q "reload (SIGHUP): files unchanged" "$T/daemon.log"
like "$(grep 'SIGHUP' "$T/daemon.log" | tail -n 1)" "reload \\(SIGHUP\\): files unchanged, generation 6" "SIGHUP reloads; unchanged files keep the generation"
out=$(ctl reload 2>&1); rc=$?
is "$rc" 0 "scaidial-ctl reload of a valid configuration exits 0"

# A new file matching an @include pattern.
mkdir -p "$T/etc/conf.d"
printf '@include "conf.d/*.conf"\n' >>"$conf"
wait_generation 7 || diag "no generation 7"
printf 'dialplans_extra_is_unknown = 1;\n' >"$T/etc/conf.d/90-extra.conf"
wait_until 2 status_has "90-extra.conf"
like "$(ctl status 2>&1)" "90-extra.conf:1: top level: unknown setting" "a new file in an included directory is read (and judged)"
rm "$T/etc/conf.d/90-extra.conf"
if wait_until 2 status_lacks 90-extra && gen_is 7; then ok "removing it restores a valid configuration"; else not_ok "removing it restores a valid configuration"; fi

check "daemon still running" daemon_alive
stop_daemon
is "$STOP_RC" 0 "SIGTERM stops the daemon with status 0"

# ---- the Kubernetes ConfigMap pattern: scaidial.conf -> ..data/scaidial.conf, ..data -> ..v1
k=$T/k8s
mkdir -p "$k/..v1"
cp "$T/good.conf" "$k/..v1/scaidial.conf"
ln -s ..v1 "$k/..data"
ln -s ..data/scaidial.conf "$k/scaidial.conf"
conf=$k/scaidial.conf
"$SCAIDIAL" -f -c "$conf" >>"$T/daemon.log" 2>&1 &
DAEMON_PID=$!
wait_until 10 ctl status || not_ok "daemon starts on a symlinked configuration"
mkdir "$k/..v2"
cp "$T/edit1" "$k/..v2/scaidial.conf"
ln -s ..v2 "$k/..data_tmp" && mv -T "$k/..data_tmp" "$k/..data" && rm -rf "$k/..v1"
if wait_generation 2; then ok "an atomic ..data symlink swap is picked up within 1 s"; else not_ok "an atomic ..data symlink swap is picked up within 1 s"; fi
like "$(dids)" '15551230002' "the swapped-in configuration is served"
stop_daemon
is "$STOP_RC" 0 "daemon stops cleanly"

done_testing
