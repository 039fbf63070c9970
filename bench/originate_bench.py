#!/usr/bin/env python3
"""originate_bench.py: the driver of bench/run-originate.sh (`make bench-originate`).

  originate_bench.py capture OUT SIP_PORT[,SIP_PORT...] RTP_LO RTP_HI
        raw capture on lo (AF_PACKET, root): the UDP datagrams from or to the carrier's
        SIP ports and the carrier's RTP to our rtp_ports, with the kernel's receive
        timestamp (SO_TIMESTAMPNS, CLOCK_REALTIME), one line each: "NS SRC DST KIND
        FIRSTLINE | CALL-ID"; KIND is "sip" or "rtp". Ends on SIGTERM, with the count of
        datagrams the kernel dropped (we did not read in time).
  originate_bench.py rate SOCK DAEMON_PID TRUNK RATE SECONDS FIRST OUT
        `originate` at RATE per second for SECONDS, numbers +1555888NNNN from NNNN=FIRST,
        each request on its own connection to the admin socket (the protocol allows one
        request per connection), spoken by this process: no process is spawned per
        command. Writes one JSON line per request (number, start/end ns, OK/ERR, the
        reason), and first the daemon's CPU over the step, the load average and the
        control thread's schedstat sampled every 5 ms (ran, waited for a CPU).
  originate_bench.py latency CAPTURE CARRIER_PORT REQUESTS...
        command -> INVITE on the wire: each request's start matched by number to the
        first INVITE for it in the capture; p50/p95/p99/max per file.
  originate_bench.py audio SOCK TRUNK CALLS FIRST STAY_S OUT
        sequential calls: originate, join the room with the returned token (LiveKit's
        Python SDK; a silent microphone track published unless PUBLISH=0), time the
        first 20 ms of the carrier's 1000 Hz tone at the SDK, stay
        STAY_S more seconds and leave (the daemon then sends BYE); the INVITE, 200, ACK
        and the first RTP are taken from the capture.
  originate_bench.py audio-report OUT CAPTURE CARRIER_PORT RTP_LO RTP_HI DAEMON_LOG
        the breakdown: capture (INVITE, 200, ACK, first RTP), the daemon's log (200
        handled, joining the room, in the room, audio bridged; ms), the SDK's times.
"""
import asyncio
import bisect
import ctypes
import datetime
import json
import os
import re
import signal
import socket
import struct
import sys
import time

CARRIER = 0x7f000003            # 127.0.0.3
SO_TIMESTAMPNS = 35             # Linux, not in Python's socket module (SCM_ too)
INVITE_RE = re.compile(rb"^INVITE sip:(\+?[0-9]+)@")


def pct(v, p):
    return v[min(len(v) - 1, int(p * len(v)))]


def summary(v):
    v = sorted(v)
    if not v:
        return "n 0"
    return "n %d  p50 %.2f  p95 %.2f  p99 %.2f  max %.2f ms" % (
        len(v), pct(v, 0.5), pct(v, 0.95), pct(v, 0.99), v[-1])


# ---- capture
def bpf_program(sip_ports, rtp_lo, rtp_hi):
    """A classic BPF program for lo (14-byte zero Ethernet header, IPv4 without options):
    UDP from or to one of sip_ports, or from 127.0.0.3 to a port in [rtp_lo, rtp_hi]. Only
    our datagrams reach Python: the other tests on this machine also use 127.0.0.3."""
    A, D = "accept", "drop"
    prog = [(0x28, 12, None, None),             # ldh [12]       ethertype
            (0x15, 0x0800, None, D),            # IPv4
            (0x30, 23, None, None),             # ldb [23]       protocol
            (0x15, 17, None, D),                # UDP
            (0x28, 34, None, None)]             # ldh [34]       source port
    prog += [(0x15, p, A, None) for p in sip_ports]
    prog += [(0x28, 36, None, None)]            # ldh [36]       destination port
    prog += [(0x15, p, A, None) for p in sip_ports]
    prog += [(0x35, rtp_lo, None, D),           # jge rtp_lo
             (0x25, rtp_hi, D, None),           # jgt rtp_hi
             (0x20, 26, None, None),            # ld [26]        source address
             (0x15, CARRIER, A, D),
             (0x06, 0x40000, A, None),          # accept
             (0x06, 0, D, None)]                # drop
    at = {A: len(prog) - 2, D: len(prog) - 1}
    out = b""
    for i, (op, k, jt, jf) in enumerate(prog):
        rel = lambda lab: 0 if lab is None or op == 0x06 else at[lab] - i - 1
        out += struct.pack("HBBI", op, rel(jt), rel(jf), k)
    buf = ctypes.create_string_buffer(out)
    return buf, struct.pack("HL", len(prog), ctypes.addressof(buf))


def cmd_capture(out, sip_ports, rtp_lo, rtp_hi):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    keep, fprog = bpf_program(sip_ports, rtp_lo, rtp_hi)
    s.setsockopt(socket.SOL_SOCKET, 26, fprog)              # SO_ATTACH_FILTER
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.bind(("lo", 0))
    f = open(out, "w", buffering=1)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    s.settimeout(0.2)
    f.write("# ready\n")
    while not stop:
        try:
            data, anc, _, addr = s.recvmsg(65536, socket.CMSG_SPACE(16))
        except (socket.timeout, InterruptedError):
            continue
        if addr[2] == socket.PACKET_OUTGOING:      # lo shows each datagram twice
            continue
        ns = None
        for lvl, typ, d in anc:
            if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", d[:16])
                ns = sec * 1000000000 + nsec
        if ns is None:
            ns = time.time_ns()
        ip = data[14:]
        ihl = (ip[0] & 15) * 4
        src = "%s:%d" % (socket.inet_ntoa(ip[12:16]), struct.unpack("!H", ip[ihl:ihl + 2])[0])
        dst = "%s:%d" % (socket.inet_ntoa(ip[16:20]), struct.unpack("!H", ip[ihl + 2:ihl + 4])[0])
        pl = ip[ihl + 8:]
        if pl[:1].isalpha():
            line = pl.split(b"\r\n", 1)[0].decode("ascii", "replace")
            cid = re.search(rb"\r\n(?:Call-ID|i):\s*([^\r\n]+)", pl, re.I)
            f.write("%d %s %s sip %s | %s\n" % (ns, src, dst, line,
                    cid.group(1).decode("ascii", "replace") if cid else "-"))
        elif len(pl) >= 12 and pl[0] >> 6 == 2:
            f.write("%d %s %s rtp pt=%d seq=%d\n" % (ns, src, dst, pl[1] & 0x7f,
                    struct.unpack("!H", pl[2:4])[0]))
    # PACKET_STATISTICS: datagrams the kernel dropped because we did not read in time
    seen, drops = struct.unpack("II", s.getsockopt(263, 6, 8))
    f.write("# drops %d of %d\n" % (drops, seen))
    f.close()


def read_capture(path):
    """[(ns, src, dst, kind, rest)]"""
    rows = []
    for line in open(path):
        if line.startswith("# drops") and not line.startswith("# drops 0 "):
            print("capture: " + line[2:].strip() + " datagrams dropped by the kernel")
        if line.startswith("#"):
            continue
        p = line.rstrip("\n").split(" ", 4)
        rows.append((int(p[0]), p[1], p[2], p[3], p[4] if len(p) > 4 else ""))
    return rows


def invites_by_number(rows, port):
    """The first INVITE to 127.0.0.3:port for each number called (other tests on this
    machine may use the same address and numbers, never the same port)."""
    first = {}
    for ns, src, dst, kind, rest in rows:
        if kind == "sip" and dst == "127.0.0.3:%s" % port:
            m = INVITE_RE.match(rest.encode())
            if m and m.group(1).decode() not in first:
                first[m.group(1).decode()] = ns
    return first


# ---- the admin socket
async def ctl(sock, line):
    """One request, one connection: returns (start_ns, end_ns, ok, body)."""
    t0 = time.time_ns()
    try:
        r, w = await asyncio.open_unix_connection(sock)
        w.write(line.encode() + b"\n")
        await w.drain()
        data = await r.read()
        w.close()
    except OSError as e:
        # the daemon answers "ERR busy" and closes at once when CTL_MAX_CLIENTS are
        # open; our unread request line then turns the close into a reset
        return t0, time.time_ns(), False, "connection failed: %s" % e.strerror
    t1 = time.time_ns()
    head, _, body = data.decode("utf-8", "replace").partition("\n")
    return t0, t1, head == "OK", body.strip()


def cpu_ticks(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])


async def cmd_rate(sock, pid, trunk, rate, seconds, first, out):
    n = int(rate * seconds)
    res = []
    tasks = []

    async def one(num):
        t0, t1, ok, body = await ctl(sock, "--json originate --extension 1001 --to %s "
                                     "--trunk %s" % (num, trunk))
        res.append({"number": num, "start_ns": t0, "end_ns": t1, "ok": ok,
                    "err": "" if ok else body})

    sched = []
    done = []

    async def sampler():
        # the control thread's schedstat: CPU time and time spent runnable but waiting
        # for a CPU, so a late INVITE can be told apart: machine busy, or daemon busy
        path = "/proc/%d/task/%d/schedstat" % (pid, pid)
        while not done:
            ran, waited = open(path).read().split()[:2]
            sched.append((time.time_ns(), int(ran), int(waited)))
            await asyncio.sleep(0.005)

    load = open("/proc/loadavg").read().split()[0]
    st = asyncio.ensure_future(sampler())
    c0 = cpu_ticks(pid)
    w0 = time.monotonic()
    start = time.monotonic() + 0.05
    for i in range(n):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one("+1555888%04d" % (first + i))))
    await asyncio.gather(*tasks)
    done.append(1)
    await st
    sent_s = time.monotonic() - start
    c1 = cpu_ticks(pid)
    wall = time.monotonic() - w0
    cpu = (c1 - c0) * 100.0 / os.sysconf("SC_CLK_TCK") / wall
    with open(out, "w") as f:
        f.write(json.dumps({"rate": rate, "seconds": seconds, "sent_s": sent_s,
                            "cpu_pct": cpu, "load1": load, "sched": sched}) + "\n")
        for r in res:
            f.write(json.dumps(r) + "\n")


def cmd_latency(capture, port, files):
    inv = invites_by_number(read_capture(capture), port)
    print("%-6s %-8s %-5s %-5s %-9s %-9s %-9s %-9s %-9s %s" % (
        "rate", "requests", "OK", "ERR", "p50 ms", "p95 ms", "p99 ms", "max ms",
        "answer p50", "daemon CPU"))
    for fn in files:
        lines = [json.loads(x) for x in open(fn)]
        head, reqs = lines[0], lines[1:]
        oks = [r for r in reqs if r["ok"]]
        lat = sorted((inv[r["number"]] - r["start_ns"]) / 1e6 for r in oks if r["number"] in inv)
        ans = sorted((r["end_ns"] - r["start_ns"]) / 1e6 for r in oks)
        missing = [r["number"] for r in oks if r["number"] not in inv]
        errs = {}
        for r in reqs:
            if not r["ok"]:
                errs[r["err"]] = errs.get(r["err"], 0) + 1
        if lat:
            print("%-6g %-8d %-5d %-5d %-9.2f %-9.2f %-9.2f %-9.2f %-9.2f %.1f %%" % (
                head["rate"], len(reqs), len(oks), len(reqs) - len(oks), pct(lat, 0.5),
                pct(lat, 0.95), pct(lat, 0.99), lat[-1], pct(ans, 0.5), head["cpu_pct"]))
        else:
            print("%-6g %-8d %-5d %-5d no INVITE matched" % (head["rate"], len(reqs),
                  len(oks), len(reqs) - len(oks)))
        if head["sent_s"] > head["seconds"] * 1.05:
            print("  note: the requests took %.1f s to send, not %g s" % (head["sent_s"],
                  head["seconds"]))
        if missing:
            print("  %d answered OK without an INVITE in the capture, e.g. %s" % (
                len(missing), " ".join(missing[:5])))
        for e, k in sorted(errs.items(), key=lambda x: -x[1]):
            print("  ERR x%d: %s" % (k, e))
        slow = [(r["start_ns"], inv[r["number"]]) for r in oks if r["number"] in inv and
                inv[r["number"]] - r["start_ns"] > 10000000]
        if slow and head.get("sched"):
            sc = head["sched"]
            times = [x[0] for x in sc]
            tot = ran = waited = 0
            for a, b in slow:
                i = max(0, bisect.bisect_right(times, a) - 1)
                j = min(len(sc) - 1, bisect.bisect_left(times, b))
                tot += b - a
                ran += sc[j][1] - sc[i][1]
                waited += sc[j][2] - sc[i][2]
            print("  %d over 10 ms (load average %s at the start); over their %.0f ms the "
                  "daemon's control thread ran %.0f ms and waited for a CPU %.0f ms "
                  "(samples every 5 ms, both ends rounded outwards)" % (
                      len(slow), head["load1"], tot / 1e6, ran / 1e6, waited / 1e6))


# ---- INVITE -> audio in the room
def tone_window(x):
    """x: 960 samples at 48 kHz (20 ms). True when 1000 Hz holds most of the energy."""
    import numpy as np
    x = x.astype(np.float64)
    x -= x.mean()
    total = float(np.sum(x * x))
    if total / len(x) < 300.0 ** 2:              # quieter than -40 dBFS: not the tone
        return False
    spec = np.abs(np.fft.rfft(x)) ** 2           # 50 Hz bins: 1000 Hz is bin 20
    return float(np.sum(spec[19:22])) > 0.5 * float(np.sum(spec[1:]))


async def one_audio_call(sock, trunk, num, timeout, stay, publish):
    import numpy as np
    from livekit import rtc
    ev = {"number": num}
    t0, t1, ok, body = await ctl(sock, "--json originate --extension 1001 --to %s "
                                 "--trunk %s" % (num, trunk))
    ev["cmd_ns"], ev["cmd_done_ns"] = t0, t1
    if not ok:
        ev["err"] = body
        return ev
    o = json.loads(body)
    ev["call_id"] = o["call_id"]
    sip_id = "sip_" + num
    room = rtc.Room()
    tasks = []
    heard = asyncio.get_running_loop().create_future()

    def mark(k):
        ev.setdefault(k, time.time_ns())

    async def listen(track):
        stream = rtc.AudioStream(track, sample_rate=48000, num_channels=1)
        prev = np.zeros(0, dtype=np.int16)
        async for fe in stream:
            now = time.time_ns()
            d = np.frombuffer(fe.frame.data, dtype=np.int16)
            mark("first_frame_ns")
            win = np.concatenate([prev, d])[-960:]
            prev = win
            if len(win) == 960 and tone_window(win):
                if not heard.done():
                    heard.set_result(now)
                break
        await stream.aclose()

    @room.on("participant_connected")
    def on_join(p):
        if p.identity == sip_id:
            mark("sip_joined_ns")

    @room.on("track_subscribed")
    def on_track(track, pub, p):
        if p.identity == sip_id and track.kind == rtc.TrackKind.KIND_AUDIO:
            mark("subscribed_ns")
            asyncio.ensure_future(listen(track))

    @room.on("participant_attributes_changed")
    def on_attrs(changed, p):
        if p.identity == sip_id and p.attributes.get("sip.callStatus") == "active":
            mark("active_ns")

    try:
        await room.connect(o["livekit_url"], o["token"], rtc.RoomOptions(auto_subscribe=True))
        mark("connected_ns")
        if publish:
            # as a browser with its microphone: LiveKit tells the others about a publisher
            # at once, about a listener only in its 3 s batch (subscriberUpdateInterval)
            src = rtc.AudioSource(48000, 1)
            track = rtc.LocalAudioTrack.create_audio_track("mic", src)
            tasks.append(asyncio.ensure_future(room.local_participant.publish_track(
                track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE))))

            async def silence():
                frame = rtc.AudioFrame(bytes(960), 48000, 1, 480)
                while True:
                    await src.capture_frame(frame)
            tasks.append(asyncio.ensure_future(silence()))
        for p in room.remote_participants.values():
            if p.identity == sip_id:
                ev["sip_before_us"] = True
                if p.attributes.get("sip.callStatus") == "active":
                    mark("active_ns")
        ev["tone_ns"] = await asyncio.wait_for(heard, timeout)
        await asyncio.sleep(stay)   # a short stay goes unseen by the daemon: see RESULTS.md
    except asyncio.TimeoutError:
        ev["err"] = "no tone within %g s" % timeout
    except Exception as e:      # noqa: BLE001 -- recorded, the run goes on
        ev["err"] = repr(e)
    for t in tasks:
        t.cancel()
    await room.disconnect()     # room_empty: the daemon sends BYE to the carrier
    return ev


async def cmd_audio(sock, trunk, calls, first, stay, out, timeout=25.0):
    publish = os.environ.get("PUBLISH", "1") == "1"
    with open(out, "w") as f:
        for i in range(calls):
            ev = await one_audio_call(sock, trunk, "+1555888%04d" % (first + i), timeout, stay,
                                      publish)
            f.write(json.dumps(ev) + "\n")
            f.flush()
            print("call %d/%d %s" % (i + 1, calls, ev.get("err", "ok")), file=sys.stderr,
                  flush=True)
            await asyncio.sleep(0.5)    # the BYE and the room's end, before the next


def cmd_audio_report(out, capture, port, rtp_lo, rtp_hi, daemon_log):
    rows = read_capture(capture)
    evs = [json.loads(x) for x in open(out)]
    inv = invites_by_number(rows, port)
    carrier = "127.0.0.3:%s" % port
    # the carrier's 200 (to the INVITE), our ACK and its first RTP, by SIP Call-ID
    by_cid = {}
    cid_of = {}
    for ns, src, dst, kind, rest in rows:
        if kind != "sip":
            continue
        line, _, cid = rest.partition(" | ")
        m = INVITE_RE.match(line.encode())
        if m:
            cid_of.setdefault(m.group(1).decode(), cid)
        d = by_cid.setdefault(cid, {})
        if line.startswith("SIP/2.0 200") and src == carrier:
            d.setdefault("ok200", ns)
        elif line.startswith("ACK ") and dst == carrier:
            d.setdefault("ack", ns)
    # the carrier's RTP: to our rtp_ports (a range no other test on the machine uses)
    rtp = sorted(ns for ns, src, dst, kind, _ in rows if kind == "rtp" and
                 src.startswith("127.0.0.3:") and dst.startswith("127.0.0.1:") and
                 int(rtp_lo) <= int(dst.split(":")[1]) <= int(rtp_hi))
    # our side, from the daemon's log (millisecond timestamps), by call ID
    dlog = {}
    pats = [("joining", r"room: call (\S+): joining room"),
            ("in_room", r"room: call (\S+): sip_\S+ is in room"),
            ("answered", r"originate: call (\S+): \S+ answered"),
            ("bridged", r"room: call (\S+): audio bridged"),
            ("user_in", r"originate: call (\S+): \S+ is in the room")]
    ends = {}
    for line in open(daemon_log, errors="replace"):
        m = re.search(r"originate: call (\S+): ended: (\S+)", line)
        if m:
            ends[m.group(1)] = m.group(2)
        for k, pat in pats:
            m = re.search(pat, line)
            if m:
                t = datetime.datetime.strptime(line[:23], "%Y-%m-%dT%H:%M:%S.%f").replace(
                    tzinfo=datetime.timezone.utc).timestamp()
                dlog.setdefault(m.group(1), {}).setdefault(k, int(round(t * 1000)) * 1000000)
    cols = {"INVITE->200": [], "200->ACK": [], "ACK->first RTP": [],
            "first RTP->tone at SDK": [], "INVITE->tone at SDK": [],
            "command->INVITE": [], "INVITE->SDK connected": [],
            "INVITE->SIP track subscribed": [], "INVITE->callStatus active": [],
            "INVITE->daemon: 200 handled (log)": [], "INVITE->daemon: joining (log)": [],
            "INVITE->daemon: in the room (log)": [],
            "INVITE->daemon: audio bridged (log)": []}
    bad = []
    sip_first = 0
    before_200 = []
    for ev in evs:
        num = ev["number"]
        if "err" in ev or num not in inv:
            bad.append("%s: %s" % (num, ev.get("err", "no INVITE captured")))
            continue
        i = inv[num]
        d = by_cid.get(cid_of.get(num), {})
        cols["command->INVITE"].append((i - ev["cmd_ns"]) / 1e6)
        cols["INVITE->tone at SDK"].append((ev["tone_ns"] - i) / 1e6)
        cols["INVITE->SDK connected"].append((ev["connected_ns"] - i) / 1e6)
        if "subscribed_ns" in ev:
            cols["INVITE->SIP track subscribed"].append((ev["subscribed_ns"] - i) / 1e6)
        if "active_ns" in ev:
            cols["INVITE->callStatus active"].append((ev["active_ns"] - i) / 1e6)
        for k, name in (("answered", "200 handled"), ("joining", "joining"),
                        ("in_room", "in the room"), ("bridged", "audio bridged")):
            if k in dlog.get(ev["call_id"], {}):
                cols["INVITE->daemon: %s (log)" % name].append((dlog[ev["call_id"]][k] - i) / 1e6)
        if ev.get("sip_before_us"):
            sip_first += 1
        dl = dlog.get(ev["call_id"], {})
        if "in_room" in dl and "ok200" in d:
            before_200.append(dl["in_room"] < d["ok200"])
        if "ok200" in d:
            cols["INVITE->200"].append((d["ok200"] - i) / 1e6)
            if "ack" in d:
                cols["200->ACK"].append((d["ack"] - d["ok200"]) / 1e6)
                first_rtp = next((t for t in rtp if t >= d["ack"]), None)
                if first_rtp is not None and first_rtp < ev["tone_ns"]:
                    cols["ACK->first RTP"].append((first_rtp - d["ack"]) / 1e6)
                    cols["first RTP->tone at SDK"].append((ev["tone_ns"] - first_rtp) / 1e6)
    print("calls %d, measured %d, the SIP participant already in the room when the SDK "
          "joined: %d" % (len(evs), len(evs) - len(bad), sip_first))
    seen = sum(1 for ev in evs if "user_in" in dlog.get(ev.get("call_id"), {}))
    causes = {}
    for ev in evs:
        c = ends.get(ev.get("call_id"), "not ended")
        causes[c] = causes.get(c, 0) + 1
    print("the daemon saw the user join in %d of %d calls; the calls ended: %s" % (
        seen, len(evs), ", ".join("%s %d" % kv for kv in sorted(causes.items()))))
    print("the SIP participant in the room before the carrier's 200 (daemon's log, ms): "
          "%d of %d" % (sum(before_200), len(before_200)))
    for k, v in cols.items():
        print("  %-36s %s" % (k, summary(v)))
    for b in bad:
        print("  failed: " + b)


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    cmd = a.pop(0)
    if cmd == "capture":
        cmd_capture(a[0], [int(x) for x in a[1].split(",")], int(a[2]), int(a[3]))
    elif cmd == "rate":
        asyncio.run(cmd_rate(a[0], int(a[1]), a[2], float(a[3]), float(a[4]), int(a[5]), a[6]))
    elif cmd == "latency":
        cmd_latency(a[0], a[1], a[2:])
    elif cmd == "audio":
        asyncio.run(cmd_audio(a[0], a[1], int(a[2]), int(a[3]), float(a[4]), a[5]))
    elif cmd == "audio-report":
        cmd_audio_report(*a[:6])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
