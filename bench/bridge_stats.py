#!/usr/bin/env python3
"""bridge_stats.py EVENTS.jsonl ...: one run of bench/run-bridge.sh summarised.

Pairs each burst sent ("tx": call, direction, time of its first sample) with the first
onset heard on the other side of the same call and direction ("rx") that follows it by
less than half a period; the difference is the one-way latency of that burst. A burst
with no onset heard is "lost". Prints one line per run and appends it as JSON to --out.
"""
import argparse
import bisect
import json

import bridge_tone as bt


def pct(v, p):
    if not v:
        return None
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("events")
    ap.add_argument("--bridge", required=True)
    ap.add_argument("--calls", type=int, required=True)
    ap.add_argument("--answered", type=int, default=0)
    ap.add_argument("--cpu-ticks", type=int, default=0)
    ap.add_argument("--lk-ticks", type=int, default=0)
    ap.add_argument("--room-ticks", type=int, default=0)
    ap.add_argument("--rtp-ticks", type=int, default=0)
    ap.add_argument("--machine-busy", type=int, default=0)
    ap.add_argument("--machine-idle", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=1)
    ap.add_argument("--clk", type=int, default=100)
    ap.add_argument("--rss0", type=int, default=0)
    ap.add_argument("--rss1", type=int, default=0)
    ap.add_argument("--run", type=int, default=1)
    ap.add_argument("--out")
    a = ap.parse_args()

    tx, rx = {}, {}
    joined, full = set(), set()
    failed = 0
    with open(a.events) as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            ev = e.get("ev")
            if ev in ("tx", "rx"):
                (tx if ev == "tx" else rx).setdefault((e["call"], e["dir"]), []).append(e["t"])
            elif ev == "joined":
                joined.add(e["call"])
                if e.get("full", True):
                    full.add(e["call"])
            elif ev == "join_failed":
                failed += 1
    lat = {d: [] for d in ["sip2room", "room2sip"] + sorted({d for _, d in tx})}
    lost = {d: 0 for d in lat}
    for (call, d), sends in tx.items():
        heard = sorted(rx.get((call, d), []))
        for t in sends:
            i = bisect.bisect_left(heard, t - 0.005)   # an onset may read a few samples early
            if i < len(heard) and heard[i] - t < bt.PERIOD_S / 2:
                lat[d].append((heard[i] - t) * 1000)
            elif heard and heard[0] < t < heard[-1]:
                # A burst sent before the far end listened or after it hung up is not lost;
                # one between two bursts heard is.
                lost[d] += 1
    res = {
        "bridge": a.bridge, "calls": a.calls, "run": a.run, "answered": a.answered,
        "rooms_joined": len(joined), "rooms_full": len(full), "room_join_failed": failed,
        "cpu_pct": 100.0 * a.cpu_ticks / a.clk / a.seconds,
        "livekit_server_cpu_pct": 100.0 * a.lk_ticks / a.clk / a.seconds,
        "room_side_cpu_pct": 100.0 * a.room_ticks / a.clk / a.seconds,
        "caller_rtp_cpu_pct": 100.0 * a.rtp_ticks / a.clk / a.seconds,
        "machine_busy_pct": 100.0 * a.machine_busy / max(1, a.machine_busy + a.machine_idle),
        "rss_idle_kib": a.rss0, "rss_kib": a.rss1,
    }
    up = max(1, a.answered)
    res["cpu_pct_per_call"] = res["cpu_pct"] / up
    res["rss_kib_per_call"] = (a.rss1 - a.rss0) / up
    for d in lat:
        res[d + "_bursts"] = len(lat[d])
        res[d + "_lost"] = lost[d]
        res[d + "_p50_ms"] = pct(lat[d], 50)
        res[d + "_p95_ms"] = pct(lat[d], 95)
    fmt = lambda v: "-" if v is None else "%.1f" % v
    print("%s N=%d run %d: answered %d, rooms %d (%d full); CPU %.1f %% (%.3f %%/call), RSS %d->%d KiB "
          "(%.1f KiB/call); SIP->room p50 %s p95 %s ms (%d bursts, %d lost); room->SIP p50 %s "
          "p95 %s ms (%d bursts, %d lost); CPU of livekit-server %.0f %%, room side %.0f %%, "
          "callers' RTP %.0f %%, machine busy %.0f %%" % (
              a.bridge, a.calls, a.run, a.answered, len(joined), len(full), res["cpu_pct"],
              res["cpu_pct_per_call"], a.rss0, a.rss1, res["rss_kib_per_call"],
              fmt(res["sip2room_p50_ms"]), fmt(res["sip2room_p95_ms"]), len(lat["sip2room"]),
              lost["sip2room"], fmt(res["room2sip_p50_ms"]), fmt(res["room2sip_p95_ms"]),
              len(lat["room2sip"]), lost["room2sip"], res["livekit_server_cpu_pct"],
              res["room_side_cpu_pct"], res["caller_rtp_cpu_pct"], res["machine_busy_pct"]),
          flush=True)
    for d in lat:
        if d not in ("sip2room", "room2sip"):
            print("%s N=%d run %d: %s p50 %s p95 %s ms (%d bursts, %d lost)" % (
                a.bridge, a.calls, a.run, d, fmt(res[d + "_p50_ms"]), fmt(res[d + "_p95_ms"]),
                len(lat[d]), lost[d]), flush=True)
    if a.out:
        with open(a.out, "a") as f:
            f.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    main()
