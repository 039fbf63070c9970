#!/usr/bin/env python3
"""wavfreq: the dominant frequency (Hz, from zero crossings in the loud 20 ms windows) and the
duration (ms) of a 16-bit mono WAV, as "FREQ DURATION_MS". Pure Python: no numpy needed."""
import sys
import wave
import array


def main():
    with wave.open(sys.argv[1]) as w:
        rate, n = w.getframerate(), w.getnframes()
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, "16-bit mono expected"
        s = array.array("h", w.readframes(n))
    if not s:
        print("0 0")
        return 0
    peak = max(abs(x) for x in s)
    # Only the loud 20 ms windows: leading/trailing silence is not the tone, and neither is
    # a gap a loaded machine leaves in the middle (it would lower the count, not the pitch).
    win = max(rate // 50, 2)
    crossings, samples = 0, 0
    for a in range(0, len(s) - 1, win):
        w = s[a:a + win]
        if max(abs(x) for x in w) <= peak / 4:
            continue
        # Each sample with the one before it, across the window's start too.
        idx = range(max(a, 1), a + len(w))
        crossings += sum(1 for i in idx if (s[i - 1] < 0) != (s[i] < 0))
        samples += len(idx)
    secs = samples / rate
    print("%.0f %d" % (crossings / 2 / secs if secs else 0, n * 1000 // rate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
