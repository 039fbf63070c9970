#!/usr/bin/env python3
"""bridge_rtp.py: the callers' media for bench/run-bridge.sh. sipp places the calls (SIP
only); each call's SDP offer names one of this process's UDP ports, and sipp's scenario
appends "CALLER REMOTE_IP REMOTE_PORT LOCAL_PORT" to --answers once the bridge has
answered. From then on this process plays the caller: every 20 ms one PCMU packet of
silence or of the caller's 1000 Hz tone (bursts on bridge_tone's schedule), logging the
send time of each burst's first packet ("tx", dir sip2room), and it listens to what the
bridge sends back, logging the onsets of the room's 600 Hz tone ("rx", dir room2sip).

One thread, epoll, no per-packet allocation beyond numpy's decode of 160 bytes.
Usage: bridge_rtp.py --base-port P --count N --answers FILE --log FILE --seconds S
"""
import argparse
import os
import select
import socket
import struct
import time

import numpy as np

import bridge_tone as bt

RATE = 8000
SAMPLES = 160


def ulaw_table():
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = u & 0x80
    exp = (u >> 4) & 7
    mant = u & 0x0F
    mag = (((mant << 3) + 0x84) << exp) - 0x84
    return np.where(sign != 0, -mag, mag).astype(np.float32) / 32768.0


def ulaw_encode(x):
    """float samples (full scale 1.0) to G.711 u-law bytes (the classic segment search)."""
    pcm = np.clip(np.round(x * 32767), -32767, 32767).astype(np.int32)
    sign = np.where(pcm < 0, 0x80, 0)
    mag = np.minimum(np.abs(pcm) + 0x84, 0x7FFF)
    exp = np.floor(np.log2(mag)).astype(np.int32) - 7
    mant = (mag >> (exp + 3)) & 0x0F
    return (~(sign | (exp << 4) | mant) & 0xFF).astype(np.uint8).tobytes()


class Call:
    def __init__(self, call, sock, remote):
        self.call = call
        self.sock = sock
        self.remote = remote
        self.seq = 0
        self.ts = 0
        self.ssrc = 0x5CA1D000 + call
        self.was_tone = False
        self.det = bt.OnsetDetector(RATE, bt.ROOM_HZ)
        self.rx_packets = 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-port", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--answers", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--seconds", type=float, required=True)
    a = ap.parse_args()

    log = bt.EventLog(a.log)
    table = ulaw_table()
    n = np.arange(SAMPLES)
    tone = ulaw_encode(bt.AMPLITUDE * np.sin(2 * np.pi * bt.CALLER_HZ * n / RATE))
    silence = bytes([0xFF]) * SAMPLES   # 1000 Hz at 8 kHz: 20 whole periods per packet

    ep = select.epoll()
    socks = {}
    for i in range(a.count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
        s.bind(("127.0.0.1", a.base_port + i))
        s.setblocking(False)
        socks[a.base_port + i] = s
    by_fd = {}
    calls = []
    open(a.answers, "a").close()
    answers = open(a.answers)
    pending = ""
    end = time.time() + a.seconds
    tick = time.time()
    while time.time() < end:
        pending += answers.read()
        while "\n" in pending:
            line, pending = pending.split("\n", 1)
            f = line.split()
            if len(f) != 4:
                continue
            c = bt.call_of(f[0])
            s = socks.get(int(f[3]))
            if c is None or s is None or s.fileno() in by_fd:
                continue
            call = Call(c, s, (f[1], int(f[2])))
            by_fd[s.fileno()] = call
            ep.register(s.fileno(), select.EPOLLIN)
            calls.append(call)
            log.write(ev="answered", call=c, remote="%s:%s" % call.remote)
        # Send one packet per call at each 20 ms tick (absolute schedule, no drift).
        now = time.time()
        if now >= tick:
            for call in calls:
                on = bt.in_burst(tick, call.call, "sip2room")
                hdr = struct.pack("!BBHII", 0x80, 0, call.seq & 0xFFFF, call.ts & 0xFFFFFFFF,
                                  call.ssrc)
                t_send = time.time()
                try:
                    call.sock.sendto(hdr + (tone if on else silence), call.remote)
                except OSError:
                    pass
                if on and not call.was_tone:
                    log.write(ev="tx", dir="sip2room", call=call.call, t=t_send)
                call.was_tone = on
                call.seq += 1
                call.ts += SAMPLES
            tick += SAMPLES / RATE
            if time.time() - tick > 0.2:     # far behind: do not burst to catch up
                tick = time.time()
            continue
        for fd, _ in ep.poll(max(0.0, tick - time.time())):
            call = by_fd[fd]
            while True:
                try:
                    pkt = call.sock.recv(2048)
                except BlockingIOError:
                    break
                t_r = time.time()
                if len(pkt) < 12 or (pkt[1] & 0x7F) != 0:
                    continue
                cc = pkt[0] & 0x0F
                payload = pkt[12 + 4 * cc:]
                call.rx_packets += 1
                x = table[np.frombuffer(payload, dtype=np.uint8)]
                for t_on, hz in call.det.feed(x, t_r):
                    log.write(ev="rx", dir="room2sip", call=call.call, t=t_on, hz=round(hz))
    for call in calls:
        log.write(ev="rtp_done", call=call.call, rx_packets=call.rx_packets)
    os._exit(0)


if __name__ == "__main__":
    main()
