#!/usr/bin/env python3
"""wavfreq: the dominant frequency (Hz, from zero crossings of the loud part) and the
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
    # Only the stretch where the signal is loud: leading/trailing silence is not the tone.
    loud = [i for i, x in enumerate(s) if abs(x) > peak / 4]
    a, b = (loud[0], loud[-1]) if loud else (0, len(s) - 1)
    seg = s[a:b + 1]
    crossings = sum(1 for i in range(1, len(seg)) if (seg[i - 1] < 0) != (seg[i] < 0))
    secs = len(seg) / rate
    print("%.0f %d" % (crossings / 2 / secs if secs else 0, n * 1000 // rate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
