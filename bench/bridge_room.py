#!/usr/bin/env python3
"""bridge_room.py: the room side of bench/run-bridge.sh, with LiveKit's own Python SDK.
One process joins every call's room as one participant per room; in the first --full
rooms (all by default) that participant
  - publishes a 48 kHz track of silence with the room's 600 Hz bursts (bridge_tone's
    schedule), logging when each burst's first sample leaves the SDK's source queue
    ("tx", dir room2sip: capture time + what was queued ahead of it);
  - subscribes to the bridge's track of the caller and logs the onsets of the caller's
    1000 Hz bursts as it hears them ("rx", dir sip2room: arrival of the 10 ms frame
    holding the onset + the onset's place in it);
  - leaves when the caller's participant leaves.
In the other rooms it joins (which answers scaidial's ring), publishes a track it never
feeds (livekit-sip answers once it has subscribed to one), and leaves with the caller:
a full participant costs the SDK about 3 % of a core, more than this machine has for 300.

How it finds the rooms depends on the bridge:
  setup-lksip  creates the inbound trunk for --did and an individual dispatch rule
               (rooms "call_<caller>_<random>") through the SIP service API, then exits
  discover     (livekit-sip) lists rooms every 0.25 s and joins each new one that names a
               caller, with a token it mints
  baseline     no bridge: pairs of SDK participants, one speaking, one listening
  webhook      (scaidial) receives bot.kickoff webhooks on 127.0.0.1 (its port to
               --port-file) and joins the room with the token the webhook carries: the
               call is answered when this participant joins
"""
import argparse
import asyncio
import json
import time

import numpy as np
from livekit import api, rtc

import bridge_tone as bt

RATE = 48000
PUB_FRAME = RATE // 10          # 100 ms per capture: fewer FFI calls per room


class Rooms:
    def __init__(self, args):
        self.a = args
        self.log = bt.EventLog(args.log)
        self.joined = set()
        self.active = 0
        self.tasks = set()
        self.join_gate = asyncio.Semaphore(args.joins)

    def spawn(self, coro):
        t = asyncio.ensure_future(coro)
        self.tasks.add(t)
        t.add_done_callback(self.tasks.discard)

    async def publish(self, call, source, stop, direction="room2sip", hz=bt.ROOM_HZ):
        n = 0
        was_tone = False
        k = np.arange(PUB_FRAME)
        while not stop.is_set():
            start = time.time() + source.queued_duration
            t = start + k / RATE
            on = ((t - bt.burst_offset(call, direction)) % bt.PERIOD_S) < bt.BURST_S
            x = np.where(on, bt.AMPLITUDE * np.sin(2 * np.pi * hz * (n + k) / RATE), 0.0)
            starts = np.flatnonzero(on & ~np.concatenate(([was_tone], on[:-1])))
            for j in starts:
                self.log.write(ev="tx", dir=direction, call=call, t=start + j / RATE)
            was_tone = bool(on[-1])
            n += PUB_FRAME
            frame = rtc.AudioFrame((x * 32767).astype(np.int16).tobytes(), RATE, 1, PUB_FRAME)
            try:
                await source.capture_frame(frame)
            except Exception:
                return

    async def listen(self, call, track, direction="sip2room", hz=bt.CALLER_HZ):
        det = bt.OnsetDetector(RATE, hz)
        stream = rtc.AudioStream(track, sample_rate=RATE, num_channels=1)
        frames = 0
        async for ev in stream:
            t_r = time.time()
            x = np.frombuffer(ev.frame.data, dtype=np.int16).astype(np.float32) / 32768.0
            frames += 1
            for t_on, got in det.feed(x, t_r):
                self.log.write(ev="rx", dir=direction, call=call, t=t_on, hz=round(got))
        self.log.write(ev="listen_done", call=call, frames=frames)

    async def run_room(self, url, token, room_name, call, full):
        """full: publish the room's bursts and listen for the caller's; otherwise be in the
        room (answering scaidial's ring) with a track that carries nothing, subscribing to
        nothing."""
        room = rtc.Room()
        stop = asyncio.Event()

        @room.on("track_subscribed")
        def on_track(track, pub, participant):
            if track.kind == rtc.TrackKind.KIND_AUDIO:
                self.spawn(self.listen(call, track))

        @room.on("participant_disconnected")
        def on_left(participant):
            stop.set()

        @room.on("disconnected")
        def on_disconnected(*_):
            stop.set()

        t0 = time.time()
        # Joins go a few at a time: hundreds at once time out in the SDK and the SFU on
        # two cores, and a join that fails loses the call (neither bridge answers it).
        async with self.join_gate:
            try:
                await room.connect(url, token, rtc.RoomOptions(auto_subscribe=full))
            except Exception as e:
                self.log.write(ev="join_failed", call=call, room=room_name, error=str(e))
                return
        self.active += 1
        self.log.write(ev="joined", call=call, room=room_name, join_s=time.time() - t0,
                       active=self.active, full=full)
        # livekit-sip answers only once it has subscribed to a track of another
        # participant, so even a quiet room publishes one (with no frames ever captured).
        source = rtc.AudioSource(RATE, 1, queue_size_ms=200)
        track = rtc.LocalAudioTrack.create_audio_track("room-tone", source)
        # The SDK's defaults (DTX on: silence goes as sparse comfort-noise packets) unless
        # --no-dtx: a room of browsers sends DTX too.
        opts = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        if self.a.no_dtx:
            opts.dtx = False
        async with self.join_gate:
            try:
                await room.local_participant.publish_track(track, opts)
            except Exception as e:
                self.log.write(ev="publish_failed", call=call, room=room_name, error=str(e))
        if full:
            self.spawn(self.publish(call, source, stop))
        try:
            await asyncio.wait_for(stop.wait(), self.a.seconds)
        except asyncio.TimeoutError:
            pass
        stop.set()
        self.active -= 1
        await room.disconnect()
        self.log.write(ev="left", call=call, room=room_name)

    def full(self):
        return self.a.full <= 0 or len(self.joined) <= self.a.full

    async def discover(self):
        http = self.a.url.replace("ws://", "http://")
        lk = api.LiveKitAPI(http, self.a.key, self.a.secret)
        end = time.time() + self.a.seconds
        while time.time() < end:
            try:
                rooms = await lk.room.list_rooms(api.ListRoomsRequest())
            except Exception as e:
                self.log.write(ev="list_failed", error=str(e))
                await asyncio.sleep(1)
                continue
            for r in rooms.rooms:
                call = bt.call_of(r.name)
                if call is None or r.name in self.joined:
                    continue
                self.joined.add(r.name)
                tok = (api.AccessToken(self.a.key, self.a.secret)
                       .with_identity("bench-room").with_name("bench-room")
                       .with_grants(api.VideoGrants(room_join=True, room=r.name))
                       .to_jwt())
                self.spawn(self.run_room(self.a.url, tok, r.name, call, self.full()))
            await asyncio.sleep(0.25)
        await lk.aclose()

    async def webhook(self):
        from aiohttp import web

        async def hook(request):
            body = json.loads(await request.read())
            if body.get("event") == "bot.kickoff":
                call = bt.call_of(body.get("from"))
                self.joined.add(body["room"])
                self.log.write(ev="kickoff", call=call, room=body["room"])
                self.spawn(self.run_room(body["livekit_url"], body["token"], body["room"], call,
                                         self.full()))
            return web.json_response({"ok": True})

        app = web.Application()
        app.router.add_post("/{tail:.*}", hook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        with open(self.a.port_file, "w") as f:
            f.write("%d\n" % port)
        await asyncio.sleep(self.a.seconds)
        await runner.cleanup()


async def baseline(a):
    """The same measurement with no bridge: in each of --calls rooms, one SDK participant
    publishes the caller's bursts and another listens (dir sdk2sdk): what one publishing
    and one receiving SDK plus the SFU cost, as this harness measures them."""
    rooms = Rooms(a)
    lp = "bench-base-%d"

    def tok(identity, room):
        return (api.AccessToken(a.key, a.secret).with_identity(identity)
                .with_grants(api.VideoGrants(room_join=True, room=room)).to_jwt())

    async def pair(i):
        name = lp % i
        pub, sub = rtc.Room(), rtc.Room()

        @sub.on("track_subscribed")
        def on_track(track, publication, participant):
            rooms.spawn(rooms.listen(i, track, "sdk2sdk", bt.CALLER_HZ))

        await sub.connect(a.url, tok("listener", name), rtc.RoomOptions(auto_subscribe=True))
        await pub.connect(a.url, tok("speaker", name), rtc.RoomOptions(auto_subscribe=False))
        rooms.log.write(ev="joined", call=i, room=name, full=True)
        source = rtc.AudioSource(RATE, 1, queue_size_ms=200)
        track = rtc.LocalAudioTrack.create_audio_track("tone", source)
        await pub.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE))
        stop = asyncio.Event()
        rooms.spawn(rooms.publish(i, source, stop, "sdk2sdk", bt.CALLER_HZ))
        await asyncio.sleep(a.seconds)
        stop.set()
        await pub.disconnect()
        await sub.disconnect()

    await asyncio.gather(*(pair(i) for i in range(a.calls)))


async def setup_lksip(a):
    http = a.url.replace("ws://", "http://")
    lk = api.LiveKitAPI(http, a.key, a.secret)
    trunk = await lk.sip.create_inbound_trunk(api.CreateSIPInboundTrunkRequest(
        trunk=api.SIPInboundTrunkInfo(name="bench", numbers=[a.did],
                                      allowed_addresses=["127.0.0.0/8"])))
    rule = await lk.sip.create_dispatch_rule(api.CreateSIPDispatchRuleRequest(
        rule=api.SIPDispatchRule(dispatch_rule_individual=api.SIPDispatchRuleIndividual(
            room_prefix="call")),
        trunk_ids=[trunk.sip_trunk_id], name="bench"))
    print("trunk %s rule %s" % (trunk.sip_trunk_id, rule.sip_dispatch_rule_id), flush=True)
    await lk.aclose()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["setup-lksip", "discover", "webhook", "baseline"])
    ap.add_argument("--calls", type=int, default=5, help="baseline: rooms")
    ap.add_argument("--url", default="")
    ap.add_argument("--key", default="")
    ap.add_argument("--secret", default="")
    ap.add_argument("--did", default="")
    ap.add_argument("--log", default="/dev/null")
    ap.add_argument("--port-file", default="")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--joins", type=int, default=8, help="joins and publications at once")
    ap.add_argument("--no-dtx", action="store_true", help="publish silence as audio frames")
    ap.add_argument("--full", type=int, default=0,
                    help="publish and listen in the first M rooms only; 0 = all")
    a = ap.parse_args()
    if a.mode == "setup-lksip":
        await setup_lksip(a)
        return
    if a.mode == "baseline":
        await baseline(a)
        return
    rooms = Rooms(a)
    if a.mode == "discover":
        await rooms.discover()
    else:
        await rooms.webhook()
    for t in list(rooms.tasks):
        t.cancel()


if __name__ == "__main__":
    asyncio.run(main())
