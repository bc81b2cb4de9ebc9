"""The log process behind the proxy: what a flood hands it faster than it writes waits in
the proxy's queue and comes out whole and in order."""

from __future__ import annotations

import asyncio
import json

from inspector.proxy.log_pipe import LogPipe
from inspector.proxy.wire import RawFrame


def test_a_flood_the_log_process_lags_behind_is_logged_whole_and_in_order(tmp_path) -> None:
    out = tmp_path / "log.jsonl"
    frames = 40_000
    body = b'\x10{"topic":"t","type":"message","seq":%d,"ts":1,"data":{"pad":"' + b"x" * 300 + b'"}}'

    async def run() -> int:
        with out.open("wb") as sink:
            pipe = await LogPipe.start(True, sink)
            log = pipe.pair("1", "127.0.0.1:1", "upstream:2")
            queued = 0
            for seq in range(frames):
                log.frame(False, RawFrame(0x2, body % seq))
                if seq % 500 == 499:
                    log.flush()
                    queued = max(queued, pipe.waiting)
                    await log.caught_up()
            await pipe.close()
            return queued

    queued = asyncio.run(run())
    assert queued, "the flood never got ahead of the log process: the queue was not exercised"
    seqs = [json.loads(line)["seq"] for line in out.read_text().splitlines()]
    assert seqs == list(range(frames))


def test_frames_handed_over_as_one_record_per_read_keep_their_order(tmp_path) -> None:
    """A read's whole binary frames go as one record: a frame of another sort, the other
    direction, a hand-over or the read's end starts the next, and every line comes out in order."""
    out = tmp_path / "log.jsonl"
    body = b'\x10{"topic":"t","type":"message","seq":%d,"ts":1,"data":{}}'

    async def run() -> None:
        with out.open("wb") as sink:
            pipe = await LogPipe.start(True, sink)
            log = pipe.pair("1", "127.0.0.1:1", "upstream:2")
            for step in ("s", "s", "ping", "s", "hand over", "s", "c", "s", "flush", "s", "fin0", "s"):
                if step == "hand over":
                    pipe.hand_over()
                elif step == "flush":
                    log.flush()
                elif step == "ping":
                    log.frame(False, RawFrame(0x9, b"p"))
                elif step == "fin0":
                    log.frame(False, RawFrame(0x2, b"\x10", fin=False))
                    log.frame(False, RawFrame(0x0, b"{}"))
                else:
                    log.frame(step == "c", RawFrame(0x2, body % 0, masked=step == "c"))
            await pipe.close()

    asyncio.run(run())
    got = [(r["direction"], r["kind"], r.get("fragments")) for r in map(json.loads, out.read_text().splitlines())]
    event, c2s_event = ("s2c", "EVENT", None), ("c2s", "EVENT", None)
    assert got == [event, event, ("s2c", "WS_PING", None), event, event, c2s_event, event, event,
                   ("s2c", "FRAGMENT", None), ("s2c", "EVENT", 2), event]
