"""bridge_tone.py: what both ends of bench/run-bridge.sh share: the burst schedule, the
tone onset detector, and the event log (JSON lines).

Each direction of each call carries tone bursts on its own schedule: a burst of
BURST_S seconds every PERIOD_S seconds, offset per call so that hundreds of calls do not
switch on at the same instant. The sender logs the wall-clock time of the first tone
sample it hands over ("tx"); the receiver logs the wall-clock time of the first sample
it hears above the threshold, once the following 10 ms have the expected frequency
("rx"). bridge_stats.py pairs them. Both ends run on the same machine, so they share
CLOCK_REALTIME and no clock sync is involved.
"""
import json
import re
import time

import numpy as np

PERIOD_S = 2.0
BURST_S = 0.3
AMPLITUDE = 0.3          # of full scale, about -10 dBFS
THRESHOLD = 0.05         # a sample above this (of full scale) may be an onset
CALLER_HZ = 1000         # the caller's tone, SIP -> room
ROOM_HZ = 600            # the room participant's tone, room -> SIP

CALLER_PREFIX = "+15550100"   # caller numbers are CALLER_PREFIX + 4 digits: the call's id


def caller_number(call):
    return "%s%04d" % (CALLER_PREFIX, call)


def call_of(text):
    """The call's id from a caller number, room name or identity containing one."""
    m = re.search(re.escape(CALLER_PREFIX) + r"(\d{4})", text or "")
    return int(m.group(1)) if m else None


def burst_offset(call, direction):
    """Where in each period this call's bursts start, per direction."""
    base = ((call * 97) % 1000) / 1000.0 * PERIOD_S
    if direction == "room2sip":
        base += PERIOD_S / 2
    return base % PERIOD_S


def in_burst(t, call, direction):
    """Whether wall-clock time t falls in one of this call's bursts."""
    return (t - burst_offset(call, direction)) % PERIOD_S < BURST_S


class OnsetDetector:
    """Finds tone onsets in a stream of float samples (full scale 1.0).

    feed(samples, t0) takes consecutive chunks, t0 being the wall-clock time of the
    chunk's first sample; it returns the onsets confirmed so far as (time, hz). An onset
    is the first sample above THRESHOLD after at least 50 ms below it, confirmed when the
    10 ms that follow cross zero at the expected frequency (within 10 %)."""

    def __init__(self, rate, want_hz):
        self.rate = rate
        self.want = want_hz
        self.quiet_run = rate      # samples below threshold so far (start as quiet)
        self.pending = None        # (onset time, list of sample arrays) awaiting 10 ms
        self.need = rate // 100

    def _hz(self, x):
        s = np.signbit(x)
        crossings = np.count_nonzero(s[1:] != s[:-1])
        return crossings / 2.0 * self.rate / len(x)

    def feed(self, x, t0):
        out = []
        if self.pending is not None:
            t_on, parts = self.pending
            parts.append(x)
            got = np.concatenate(parts)
            if len(got) >= self.need:
                hz = self._hz(got[:self.need])
                if abs(hz - self.want) <= self.want * 0.1:
                    out.append((t_on, hz))
                self.pending = None
                self.quiet_run = 0
            else:
                return out
        loud = np.flatnonzero(np.abs(x) > THRESHOLD)
        if len(loud) == 0:
            self.quiet_run += len(x)
            return out
        first = loud[0]
        if self.quiet_run + first >= self.rate // 20:
            t_on = t0 + first / self.rate
            rest = x[first:]
            if len(rest) >= self.need:
                hz = self._hz(rest[:self.need])
                if abs(hz - self.want) <= self.want * 0.1:
                    out.append((t_on, hz))
            else:
                self.pending = (t_on, [rest])
        self.quiet_run = len(x) - 1 - loud[-1]
        return out


class EventLog:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)

    def write(self, **ev):
        ev.setdefault("wall", time.time())
        self.f.write(json.dumps(ev) + "\n")
