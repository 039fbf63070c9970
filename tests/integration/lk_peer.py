#!/usr/bin/env python3
"""lk_peer.py: the LiveKit side of the lk-probe test, on LiveKit's own Python SDKs.

  lk_peer.py token KEY SECRET ROOM IDENTITY        print a join token
  lk_peer.py peer URL TOKEN --tone HZ --from ID [--dtmf DIGITS] [--data T=P] [--stay S] [--stats]
                        join, publish a tone, listen to ID, print its dominant frequency,
                        its attributes as they change and the DTMF digits it sends; send
                        DIGITS as SIP DTMF (and --data TOPIC=PAYLOAD) once heard; then
                        wait for ID to leave, or with --stay leave S seconds later;
                        --stats: at the end, what libwebrtc counted on the audio it
                        received (packets, lost, concealed samples)
  lk_peer.py wavfreq FILE                          dominant frequency of a WAV's loud part
  lk_peer.py proxy PORT TARGET_PORT --cut-after S [--no-v1]
                        TCP relay on 127.0.0.1 that drops every connection once, S s after
                        the first; --no-v1 answers 404 to /rtc/v1 like an old server
"""
import argparse
import asyncio
import sys
import wave

import numpy as np


def dominant(samples, rate=48000):
    x = np.asarray(samples, dtype=np.float64)
    x = x - x.mean()
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    spec[freqs < 50] = 0
    return float(freqs[int(np.argmax(spec))]), float(np.sqrt(np.mean(x * x)))


def cmd_token(a):
    from livekit import api
    t = (api.AccessToken(a.key, a.secret).with_identity(a.identity)
         .with_grants(api.VideoGrants(room_join=True, room=a.room)))
    print(t.to_jwt())


def cmd_wavfreq(a):
    with wave.open(a.file) as w:
        assert w.getframerate() == 48000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float64)
    # the loudest 2 s (the room's audio starts some time after the probe joined)
    n = 96000
    if len(x) < n:
        print("0 0")
        return
    win = 4800
    energy = np.convolve(x * x, np.ones(win), mode="valid")[::win]
    start = int(np.argmax(np.convolve(energy, np.ones(n // win), mode="valid"))) * win
    f, rms = dominant(x[start:start + n])
    print(f"{f:.1f} {rms:.0f}")


async def cmd_peer(a):
    from livekit import rtc
    room = rtc.Room()
    got = asyncio.get_running_loop().create_future()
    left = asyncio.Event()

    async def listen(track):
        buf = []
        stream = rtc.AudioStream(track, sample_rate=48000, num_channels=1)
        skipped = 0
        async for ev in stream:
            d = np.frombuffer(ev.frame.data, dtype=np.int16)
            if skipped < 24000:          # let the codec settle
                skipped += len(d)
                continue
            buf.append(d)
            if sum(len(b) for b in buf) >= 96000:
                break
        if not got.done():
            got.set_result(dominant(np.concatenate(buf)))
        await stream.aclose()

    @room.on("track_subscribed")
    def on_track(track, pub, participant):
        if participant.identity == a.from_ and track.kind == rtc.TrackKind.KIND_AUDIO:
            asyncio.ensure_future(listen(track))

    @room.on("sip_dtmf_received")
    def on_dtmf(ev):
        who = ev.participant.identity if ev.participant else "?"
        print(f"peer: dtmf {ev.digit} code {ev.code} from {who}", flush=True)

    def show(participant, what):
        if participant.identity == a.from_:
            kv = " ".join(f"{k}={v}" for k, v in sorted(participant.attributes.items()))
            print(f"peer: {what} {participant.identity} {kv}", flush=True)

    @room.on("participant_connected")
    def on_joined(participant):
        show(participant, "sees")

    @room.on("participant_attributes_changed")
    def on_attrs(changed, participant):
        show(participant, "attributes")

    @room.on("participant_disconnected")
    def on_left(participant):
        if participant.identity == a.from_:
            print(f"peer: {a.from_} left", flush=True)
            left.set()

    # The call's end may reach us as the room closing before the participant's leave.
    @room.on("disconnected")
    def on_closed(reason):
        if not left.is_set():
            print(f"peer: room closed ({reason})", flush=True)
        left.set()

    await room.connect(a.url, a.token, rtc.RoomOptions(auto_subscribe=True))
    for p in room.remote_participants.values():
        show(p, "sees")
    src = rtc.AudioSource(48000, 1)
    track = rtc.LocalAudioTrack.create_audio_track("tone", src)
    await room.local_participant.publish_track(
        track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE))
    print("peer: publishing", flush=True)

    async def tone():
        t = 0
        while True:
            n = np.arange(t, t + 480)
            pcm = (10000 * np.sin(2 * np.pi * a.tone * n / 48000)).astype(np.int16)
            await src.capture_frame(rtc.AudioFrame(pcm.tobytes(), 48000, 1, 480))
            t += 480
    tt = asyncio.ensure_future(tone())
    inbound = {}

    # libwebrtc's own receive statistics, polled while the stream lasts (its entry goes
    # with the track): the last one is what the whole call looked like to a real receiver.
    async def poll_stats():
        while True:
            await asyncio.sleep(0.5)
            try:
                st = await room.get_rtc_stats()
            except Exception:
                continue
            # (with one peer connection, as on /rtc/v1, it is the "publisher" one)
            for e in list(st.subscriber_stats) + list(st.publisher_stats):
                if e.WhichOneof("stats") == "inbound_rtp" and e.inbound_rtp.stream.kind == "audio":
                    inbound[e.inbound_rtp.stream.ssrc] = e.inbound_rtp
    st_task = asyncio.ensure_future(poll_stats()) if a.stats else None
    rc = 1
    try:
        f, rms = await asyncio.wait_for(got, a.timeout)
        print(f"peer: heard {f:.1f} Hz rms {rms:.0f}", flush=True)
        codes = {"*": 10, "#": 11, "A": 12, "B": 13, "C": 14, "D": 15}
        for d in a.dtmf:
            await room.local_participant.publish_dtmf(code=codes.get(d, 0) if not d.isdigit() else int(d), digit=d)
            print(f"peer: sent dtmf {d}", flush=True)
            await asyncio.sleep(0.1)
        if a.data:
            topic, payload = a.data.split("=", 1)
            await room.local_participant.publish_data(payload, reliable=True, topic=topic)
            print(f"peer: sent data on {topic}", flush=True)
        rc = 0
        if a.stay is not None:
            await asyncio.sleep(a.stay)
            print("peer: leaving", flush=True)
        else:
            await asyncio.wait_for(left.wait(), a.timeout)
    except asyncio.TimeoutError:
        print("peer: timed out", flush=True)
    if st_task is not None:
        st_task.cancel()
        for ssrc, i in inbound.items():
            print(f"peer: inbound ssrc {ssrc} packets {i.received.packets_received} "
                  f"lost {i.received.packets_lost} nacks {i.inbound.nack_count} "
                  f"concealed {i.inbound.concealed_samples} "
                  f"of {i.inbound.total_samples_received} samples", flush=True)
    tt.cancel()
    await room.disconnect()
    return rc


async def cmd_proxy(a):
    conns = []
    first = asyncio.get_running_loop().create_future()

    async def pipe(r, w):
        try:
            while True:
                b = await r.read(65536)
                if not b:
                    break
                w.write(b)
                await w.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            w.close()

    async def handle(cr, cw):
        head = b""
        if a.no_v1:
            # play a server older than v1.9.1: no /rtc/v1 routes
            head = await cr.readuntil(b"\r\n\r\n")
            if head.split(b" ", 2)[1].startswith(b"/rtc/v1"):
                cw.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
                await cw.drain()
                cw.close()
                return
        sr, sw = await asyncio.open_connection("127.0.0.1", a.target)
        sw.write(head)
        conns.extend([cw, sw])
        if not first.done():
            first.set_result(None)
        await asyncio.gather(pipe(cr, sw), pipe(sr, cw))

    server = await asyncio.start_server(handle, "127.0.0.1", a.port)
    print("proxy: listening", flush=True)
    await first
    await asyncio.sleep(a.cut_after)
    n = 0
    for w in conns:
        if not w.is_closing():
            w.transport.abort()
            n += 1
    conns.clear()
    print(f"proxy: cut {n} connections", flush=True)
    async with server:
        await server.serve_forever()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("token")
    for k in ("key", "secret", "room", "identity"):
        t.add_argument(k)
    w = sub.add_parser("wavfreq")
    w.add_argument("file")
    r = sub.add_parser("peer")
    r.add_argument("url")
    r.add_argument("token")
    r.add_argument("--tone", type=float, default=1000)
    r.add_argument("--from", dest="from_", required=True)
    r.add_argument("--timeout", type=float, default=30)
    r.add_argument("--dtmf", default="")
    r.add_argument("--stay", type=float, default=None)
    r.add_argument("--data", default="", help="TOPIC=PAYLOAD published once heard")
    r.add_argument("--stats", action="store_true")
    x = sub.add_parser("proxy")
    x.add_argument("port", type=int)
    x.add_argument("target", type=int)
    x.add_argument("--cut-after", type=float, default=3)
    x.add_argument("--no-v1", action="store_true")
    a = p.parse_args()
    if a.cmd == "proxy":
        asyncio.run(cmd_proxy(a))
    elif a.cmd == "token":
        cmd_token(a)
    elif a.cmd == "wavfreq":
        cmd_wavfreq(a)
    else:
        sys.exit(asyncio.run(cmd_peer(a)))


if __name__ == "__main__":
    main()
