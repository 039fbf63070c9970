#!/usr/bin/env python3
"""lk_participant.py URL TOKEN: joins a LiveKit room with LiveKit's own Python SDK
(livekit.rtc) using a token minted by scaidial's lk_token.c, for tests/integration/lk-api.sh.

Prints one line per event, flushed:
  connected identity=... sid=... room=... kind=... attr:K=V ...
  attributes_changed K=V ...          (an UpdateParticipant reached us)
  disconnected reason=...             (e.g. RemoveParticipant)
  refused error=...                   (the server would not let us in; exit status 1)
Stays in the room until disconnected, or for at most 60 s.
"""
import asyncio
import sys

from livekit import rtc


def attrs(d):
    return " ".join(f"attr:{k}={v}" for k, v in sorted(d.items()))


async def main(url, token):
    room = rtc.Room()
    done = asyncio.Event()

    @room.on("participant_attributes_changed")
    def on_attrs(changed, participant):
        if participant.identity == room.local_participant.identity:
            print("attributes_changed " + " ".join(f"{k}={v}" for k, v in sorted(changed.items())),
                  flush=True)

    @room.on("disconnected")
    def on_disconnected(reason):
        name = rtc.DisconnectReason.Name(reason) if isinstance(reason, int) else str(reason)
        print(f"disconnected reason={name}", flush=True)
        done.set()

    try:
        await room.connect(url, token, rtc.RoomOptions(auto_subscribe=False))
    except Exception as e:  # the SDK raises ConnectError with the server's reason
        print(f"refused error={e}", flush=True)
        return 1
    lp = room.local_participant
    kind = getattr(lp, "kind", None)
    kind_name = rtc.ParticipantKind.Name(kind) if isinstance(kind, int) else str(kind)
    print(f"connected identity={lp.identity} sid={lp.sid} room={room.name} kind={kind_name} "
          f"{attrs(lp.attributes)}", flush=True)
    try:
        await asyncio.wait_for(done.wait(), 60)
    except asyncio.TimeoutError:
        print("timeout", flush=True)
        await room.disconnect()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2])))
