"""The log process behind the proxy: what a flood hands it faster than it writes waits in
the proxy's queue and comes out whole and in order."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import pytest

from inspector.proxy import log_pipe, log_sink
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


def test_the_log_process_offers_the_cpu_every_few_frames(monkeypatch) -> None:
    """However many frames a batch holds, the log gives a waiting proxy the CPU every few of them."""
    offered = []
    monkeypatch.setattr(os, "sched_yield", lambda: offered.append(len(lines)), raising=False)
    lines: list[bytes] = []
    turns = log_sink.Turns()
    body = b'\x10{"topic":"t","type":"message","seq":1,"ts":1,"data":{}}'
    record = ("p", "1", "127.0.0.1:1", "upstream:2", 1.0, False, *[body] * 50)
    log_sink._write({}, record, True, lines, turns)
    assert len(lines) == 50
    every = log_sink.YIELD_EVERY
    assert offered == list(range(every, 50, every))


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="POSIX signals")
def test_a_log_process_that_gets_no_cpu_holds_the_proxy_back_at_a_bound_and_loses_nothing(
        tmp_path, monkeypatch) -> None:
    """A log process that never runs (here: stopped) costs the proxy at most its backlog of
    memory: past it, the proxy waits; once it runs again, every line comes out, in order."""
    monkeypatch.setattr(log_pipe, "BACKLOG", 2**20)
    out = tmp_path / "log.jsonl"
    body = b'\x10{"topic":"t","type":"message","seq":%d,"ts":1,"data":{"pad":"' + b"x" * 300 + b'"}}'

    async def run() -> tuple[int, int]:
        with out.open("wb") as sink:
            pipe = await LogPipe.start(True, sink)
            log = pipe.pair("1", "127.0.0.1:1", "upstream:2")
            os.kill(pipe.proc.pid, signal.SIGSTOP)
            seq = most = 0
            try:
                for _ in range(60):  # 18 MB at most: far past the backlog and what the pipe holds
                    for _ in range(500):
                        log.frame(False, RawFrame(0x2, body % seq))
                        seq += 1
                    log.flush()
                    pipe.hand_over()
                    most = max(most, pipe.waiting)
                    waiting = asyncio.ensure_future(log.caught_up())
                    for _ in range(20):
                        await asyncio.sleep(0)
                    if not waiting.done():
                        break
                assert not waiting.done(), "the proxy never waited for a log process that did not run"
            finally:
                os.kill(pipe.proc.pid, signal.SIGCONT)
            await waiting
            await pipe.close()
            return seq, most

    sent, most = asyncio.run(run())
    assert most <= 2**20 + 500 * 600, "the proxy kept more than its backlog for a log process that did not run"
    seqs = [json.loads(line)["seq"] for line in out.read_text().splitlines()]
    assert seqs == list(range(sent))
