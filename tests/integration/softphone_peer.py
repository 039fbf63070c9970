#!/usr/bin/env python3
"""softphone_peer.py: the caller's side of tests/integration/softphone.sh before the daemon
bridges calls itself, on LiveKit's own Python SDK: a participant that joins like scaidial's
SIP participant (kind "sip", the sip.* attributes), so the softphone page treats it as the
caller.

  softphone_peer.py token KEY SECRET ROOM IDENTITY [--sip NUMBER DID]
        print a join token; --sip makes it a SIP participant's, calling from NUMBER to DID
  softphone_peer.py caller URL TOKEN [--tone HZ] [--hangup-on DIGIT] [--timeout S]
        join, set sip.callStatus "ringing", publish a tone; when another participant joins,
        set sip.callStatus "active" and, once its audio arrives, print one line per 0.5 s
        of it; print each SipDTMF digit; leave on DIGIT (the caller hangs up); exit 0 when
        the other participant has left (or we did), 1 at the timeout
  softphone_peer.py wavfreq FILE
        "HZ RMS" of the loudest second of a 16-bit WAV (any rate; the first channel)

Lines printed (flushed, so a test can wait for them):
  caller: joined                          caller: active IDENTITY
  caller: audio hz=F rms=R                caller: dtmf D code C from IDENTITY
  caller: left IDENTITY                   caller: hung up
"""
import argparse
import asyncio
import sys

import numpy as np

RATE = 48000
WINDOW = RATE // 2


def dominant(x, rate=RATE):
    x = x.astype(np.float64)
    x = x - x.mean()
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    spec[freqs < 50] = 0
    return float(freqs[int(np.argmax(spec))]), float(np.sqrt(np.mean(x * x)))


def cmd_token(a):
    from livekit import api
    grants = api.VideoGrants(room_join=True, room=a.room, can_update_own_metadata=True)
    t = api.AccessToken(a.key, a.secret).with_identity(a.identity).with_grants(grants)
    if a.sip:
        t = t.with_kind("sip").with_attributes({
            "sip.callID": "test-" + a.room, "sip.phoneNumber": a.sip[0],
            "sip.trunkPhoneNumber": a.sip[1]})
    print(t.to_jwt())


def cmd_wavfreq(a):
    import wave
    with wave.open(a.file) as w:
        rate, ch = w.getframerate(), w.getnchannels()
        assert w.getsampwidth() == 2, "16-bit WAV expected"
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)[::ch]
    if len(x) < rate:
        print("0 0")
        return
    # the loudest second: the call's audio, not the silence before the answer
    win = rate // 10
    energy = np.add.reduceat(x.astype(np.float64) ** 2, np.arange(0, len(x) - win + 1, win))
    k = int(np.argmax(np.convolve(energy, np.ones(10), mode="valid")))
    f, rms = dominant(x[k * win:k * win + rate], rate)
    print(f"{f:.1f} {rms:.0f}")


async def cmd_caller(a):
    from livekit import rtc
    room = rtc.Room()
    done = asyncio.Event()
    tasks = []

    async def listen(track):
        stream = rtc.AudioStream(track, sample_rate=RATE, num_channels=1)
        buf = np.zeros(0, dtype=np.int16)
        skip = RATE // 2            # the codec's start
        async for ev in stream:
            d = np.frombuffer(ev.frame.data, dtype=np.int16)
            if skip > 0:
                skip -= len(d)
                continue
            buf = np.concatenate((buf, d))
            while len(buf) >= WINDOW:
                f, rms = dominant(buf[:WINDOW])
                buf = buf[WINDOW:]
                print(f"caller: audio hz={f:.1f} rms={rms:.0f}", flush=True)

    @room.on("participant_connected")
    def on_joined(p):
        async def activate():
            await room.local_participant.set_attributes({"sip.callStatus": "active"})
            print(f"caller: active {p.identity}", flush=True)
        tasks.append(asyncio.ensure_future(activate()))

    @room.on("track_subscribed")
    def on_track(track, pub, p):
        if track.kind == rtc.TrackKind.KIND_AUDIO:
            tasks.append(asyncio.ensure_future(listen(track)))

    @room.on("sip_dtmf_received")
    def on_dtmf(ev):
        who = ev.participant.identity if ev.participant else "?"
        print(f"caller: dtmf {ev.digit} code {ev.code} from {who}", flush=True)
        if a.hangup_on and ev.digit == a.hangup_on:
            print("caller: hung up", flush=True)
            done.set()

    @room.on("participant_disconnected")
    def on_left(p):
        print(f"caller: left {p.identity}", flush=True)
        done.set()

    await room.connect(a.url, a.token, rtc.RoomOptions(auto_subscribe=True))
    await room.local_participant.set_attributes({"sip.callStatus": "ringing"})
    src = rtc.AudioSource(RATE, 1)
    track = rtc.LocalAudioTrack.create_audio_track("caller", src)
    await room.local_participant.publish_track(
        track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE))
    print("caller: joined", flush=True)

    async def tone():
        t = 0
        while True:
            n = np.arange(t, t + 480)
            pcm = (8000 * np.sin(2 * np.pi * a.tone * n / RATE)).astype(np.int16)
            await src.capture_frame(rtc.AudioFrame(pcm.tobytes(), RATE, 1, 480))
            t += 480
    tasks.append(asyncio.ensure_future(tone()))
    rc = 0
    try:
        await asyncio.wait_for(done.wait(), a.timeout)
    except asyncio.TimeoutError:
        print("caller: timed out", flush=True)
        rc = 1
    for t in tasks:
        t.cancel()
    await room.disconnect()
    return rc


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("token")
    for k in ("key", "secret", "room", "identity"):
        t.add_argument(k)
    t.add_argument("--sip", nargs=2, metavar=("NUMBER", "DID"))
    c = sub.add_parser("caller")
    c.add_argument("url")
    c.add_argument("token")
    c.add_argument("--tone", type=float, default=1000)
    c.add_argument("--hangup-on", default="")
    c.add_argument("--timeout", type=float, default=60)
    w = sub.add_parser("wavfreq")
    w.add_argument("file")
    a = p.parse_args()
    if a.cmd == "token":
        cmd_token(a)
    elif a.cmd == "wavfreq":
        cmd_wavfreq(a)
    else:
        sys.exit(asyncio.run(cmd_caller(a)))


if __name__ == "__main__":
    main()
