"""bridge_wire.py: the bridge's own share of the one-way delay, read off the wire.

run-bridge.sh (WIRE=1) runs it during the steady window. It captures the loopback
interface (AF_PACKET, kernel timestamps, so Python's own scheduling does not count) and
follows every RTP flow by its audio level, packet by packet:
  - G.711 packets (the SIP side) are decoded and their level taken as RFC 6464 does
    (-dBov of the frame's RMS);
  - WebRTC packets are SRTP, their payload is unreadable, but RFC 6464's audio level
    header extension travels in the clear: the bridge's own packets carry it, and the
    SFU forwards the room participant's.
A tone burst's onset on a flow is its first loud packet (level <= LOUD) after at least
QUIET_GAP_S without one. The bursts come on bridge_tone's per-call schedule, so each
onset on the bridge's side is paired with the latest onset on the other side of the
bridge that precedes it, the flows being matched to calls by the majority of their
pairings:
  sip2room: caller -> bridge RTP packet in, to bridge -> SFU SRTP packet out;
  room2sip: SFU -> bridge SRTP packet in, to bridge -> caller RTP packet out (when what
            the SFU forwards has no level: from the participant's packet to the SFU).
Which flows are the bridge's and the SFU's: the sockets each process owns (/proc/PID/fd
against /proc/net/udp and udp6), read at the end of the capture.

Frame granularity: on the way up the frames are the caller's 20 ms packets, one for one,
so the figure is exact to the kernel's timestamps; on the way down the bridge's mixer
re-frames the room's audio, so a figure can be off by up to one frame either way.
"""
import argparse
import collections
import json
import math
import os
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = 35
LOUD = 30           # -30 dBov: the bursts are about -13 dBov
QUIET_GAP_S = 0.15  # bursts are 0.3 s every 2 s
MAX_DELAY_S = 0.5


def ulaw_table():
    t = []
    for b in range(256):
        u = ~b & 0xFF
        sign, exp, man = u & 0x80, (u >> 4) & 7, u & 15
        v = (((man << 3) + 0x84) << exp) - 0x84
        t.append(-v if sign else v)
    return t


def alaw_table():
    t = []
    for b in range(256):
        a = b ^ 0x55
        sign, exp, man = a & 0x80, (a >> 4) & 7, a & 15
        v = (man << 4) + 8 if exp == 0 else ((man << 4) + 0x108) << (exp - 1)
        t.append(v if sign else -v)
    return t


ULAW, ALAW = ulaw_table(), alaw_table()


def g711_level(payload, table):
    if not payload:
        return 127
    rms = math.sqrt(sum(table[b] * table[b] for b in payload) / len(payload))
    if rms < 1:
        return 127
    return min(127, max(0, int(round(-20 * math.log10(rms / 32768)))))


def rtp_levels(p):
    """(ssrc, pt, {ext id: value}, payload) of an RTP packet, or None."""
    if len(p) < 12 or p[0] >> 6 != 2:
        return None
    pt = p[1] & 0x7F
    if 72 <= pt <= 76:          # RTCP in a muxed flow
        return None
    cc = p[0] & 15
    off = 12 + 4 * cc
    ext = {}
    if p[0] & 0x10:
        if len(p) < off + 4:
            return None
        prof, words = struct.unpack_from("!HH", p, off)
        body = p[off + 4:off + 4 + 4 * words]
        if prof == 0xBEDE:
            i = 0
            while i < len(body):
                b = body[i]
                if b == 0:
                    i += 1
                    continue
                eid, ln = b >> 4, (b & 15) + 1
                if eid == 15:
                    break
                if ln == 1 and i + 1 < len(body):
                    ext[eid] = body[i + 1] & 0x7F
                i += 1 + ln
        off += 4 + 4 * words
    return struct.unpack_from("!I", p, 8)[0], pt, ext, p[off:]


def capture(seconds, iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.settimeout(0.2)
    flows = collections.defaultdict(list)   # (sport, dport) -> [(t, pt, level or ext)]
    end = time.time() + seconds
    while time.time() < end:
        try:
            data, anc, _, addr = s.recvmsg(2048, 64)
        except socket.timeout:
            continue
        if addr[2] != PACKET_OUTGOING or len(data) < 14 + 20 + 8:
            continue
        ip = data[14:]
        etype = struct.unpack_from("!H", data, 12)[0]
        if etype == 0x0800 and ip[9] == 17:
            ihl = (ip[0] & 15) * 4
        elif etype == 0x86DD and ip[6] == 17 and len(ip) >= 48:
            ihl = 40        # ICE over loopback often picks ::1; no extension headers
        else:
            continue
        sport, dport = struct.unpack_from("!HH", ip, ihl)
        r = rtp_levels(ip[ihl + 8:])
        if r is None:
            continue
        t = None
        for lvl, typ, val in anc:
            if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", val[:16])
                t = sec + nsec / 1e9
        if t is None:
            continue
        _, pt, ext, payload = r
        if pt == 0:
            flows[(sport, dport)].append((t, {0: g711_level(payload, ULAW)}))
        elif pt == 8:
            flows[(sport, dport)].append((t, {0: g711_level(payload, ALAW)}))
        elif ext:
            flows[(sport, dport)].append((t, ext))
    return flows


def owned_udp_ports(pid):
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports = set()
    for name in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = open(name).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[9] in inodes:
                ports.add(int(f[1].split(":")[1], 16))
    return ports


def level_series(pkts):
    """The packets' levels by the one extension (or G.711 level) that carries a level:
    the id whose values reach both loud and quiet."""
    ids = collections.Counter(i for _, e in pkts for i in e)
    best = None
    for i, _ in ids.most_common():
        vals = [e[i] for _, e in pkts if i in e]
        if min(vals) <= LOUD and max(vals) >= 50:
            best = i
            break
    if best is None:
        return []
    return [(t, e[best]) for t, e in pkts if best in e]


def onsets(series):
    out, last_loud = [], -1e9
    for t, lv in series:
        if lv <= LOUD:
            if t - last_loud >= QUIET_GAP_S:
                out.append(t)
            last_loud = t
    return out


def pair(src, dst):
    """src, dst: {flow key: [onset times]}. Matches each dst flow to the src flow whose
    onsets most often are the latest ones before its own, then returns the delays on
    matched pairs."""
    allsrc = sorted((t, k) for k, ts in src.items() for t in ts)
    delays = []
    for dk, ts in dst.items():
        votes = collections.Counter()
        for t in ts:
            prev = [(st, sk) for st, sk in allsrc if t - MAX_DELAY_S <= st < t]
            if prev:
                votes[prev[-1][1]] += 1
        if not votes:
            continue
        sk = votes.most_common(1)[0][0]
        for t in ts:
            prev = [st for st in src[sk] if t - MAX_DELAY_S <= st < t]
            if prev:
                delays.append(t - prev[-1])
    return delays


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--pid", type=int, required=True, help="the bridge process")
    ap.add_argument("--callers", required=True, help="BASE:N, the callers' RTP ports")
    ap.add_argument("--sfu-pid", type=int, required=True, help="livekit-server")
    ap.add_argument("--iface", default="lo")
    ap.add_argument("--bridge", default="")
    ap.add_argument("--calls", type=int, default=0)
    ap.add_argument("--run", type=int, default=1)
    ap.add_argument("--out")
    a = ap.parse_args()
    base, n = (int(x) for x in a.callers.split(":"))
    flows = capture(a.seconds, a.iface)
    mine = owned_udp_ports(a.pid)
    sfu_ports = owned_udp_ports(a.sfu_pid)

    def caller(p):
        return base <= p < base + n

    def sfu(p):
        return p in sfu_ports

    groups = {"sip_in": {}, "sip_out": {}, "lk_out": {}, "lk_in": {}, "room_out": {}}
    for (sp, dp), pkts in flows.items():
        key = (sp, dp)
        if caller(sp) and not caller(dp):
            g = "sip_in"
        elif caller(dp) and not caller(sp):
            g = "sip_out"
        elif sp in mine and dp not in mine:
            g = "lk_out"
        elif dp in mine and sp not in mine:
            g = "lk_in"
        elif sfu(dp) and not sfu(sp):
            g = "room_out"      # the room participant's packets to the SFU
        else:
            continue
        o = onsets(level_series(pkts))
        if o:
            groups[g][key] = o
    up = pair(groups["sip_in"], groups["lk_out"])
    down = pair(groups["lk_in"], groups["sip_out"])
    via = "bridge"
    if not down:
        # No level on what the SFU forwards: from the participant's packets instead,
        # which adds the SFU's forwarding (a fraction of a ms on an idle loopback).
        down = pair(groups["room_out"], groups["sip_out"])
        via = "sfu"
    res = {"bridge": a.bridge, "calls": a.calls, "run": a.run,
           "flows": {g: len(v) for g, v in groups.items()},
           "wire_sip2room_n": len(up), "wire_room2sip_n": len(down),
           "wire_room2sip_from": via}
    for name, d in (("sip2room", up), ("room2sip", down)):
        for q in (50, 95):
            res["wire_%s_p%d_ms" % (name, q)] = round(pct(d, q / 100) * 1000, 1)
    print("wire %s %d calls run %d: bridge's own delay SIP->room p50 %.1f p95 %.1f ms "
          "(%d onsets), room->SIP p50 %.1f p95 %.1f ms (%d onsets, from the %s); flows %s" % (
              a.bridge, a.calls, a.run, res["wire_sip2room_p50_ms"],
              res["wire_sip2room_p95_ms"], len(up), res["wire_room2sip_p50_ms"],
              res["wire_room2sip_p95_ms"], len(down), via, res["flows"]))
    if a.out:
        with open(a.out, "a") as f:
            f.write(json.dumps(res) + "\n")
    return 0 if up or down else 1


if __name__ == "__main__":
    sys.exit(main())
