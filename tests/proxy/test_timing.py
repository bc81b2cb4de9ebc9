"""The proxy's own time per frame (for bench/bench_proxy.py): every forwarded frame is counted
with its read's time, and the collector's pauses are seen."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal

from cli_proc import Proc
from proxy_kit import raw_pair

from inspector.proxy.timing import ENV as TIMING_ENV
from inspector.proxy.timing import Timing
from inspector.proxy.wire import RawFrame, encode


def test_percentiles_count_each_frame_with_its_reads_time(tmp_path) -> None:
    timing = Timing()
    try:
        timing.read(0.001, 0.0001, 98)  # 98 frames waited 1 ms, one 5 ms, one 20 ms
        timing.read(0.005, 0.003, 1)
        timing.read(0.020, 0.0002, 1)  # the machine took the CPU away for most of it
        timing.read(0.5, 0.5, 0)  # a read that completed no frame delays none
        gc.collect()
        path = tmp_path / "t.json"
        timing.write(str(path))
    finally:
        timing.close()
    got = json.loads(path.read_text())
    assert (got["frames"], got["reads"]) == (100, 3)
    assert (got["p50_ms"], got["p99_ms"], got["p999_ms"], got["max_ms"]) == (1.0, 5.0, 20.0, 20.0)
    assert (got["cpu_p50_ms"], got["cpu_p99_ms"], got["cpu_p999_ms"], got["cpu_max_ms"]) == (0.1, 0.2, 3.0, 3.0)
    assert got["gc"]["collections"] >= 1 and got["gc"]["max_ms"] > 0


def test_every_forwarded_frame_is_timed() -> None:
    timing = Timing()

    async def body() -> None:
        async with raw_pair(timing=timing) as (_, client, server):
            frames = [RawFrame(0x2, b"\x10{}" + bytes([n])) for n in range(40)]
            await server.send(b"".join(encode(f, mask=False) for f in frames))
            await client.read_frames(40)
            await client.send(encode(RawFrame(0x2, b"\x20ping"), mask=True))
            await server.read_frames(1)

    try:
        asyncio.run(body())
    finally:
        timing.close()
    assert sum(timing.frames) == 41
    assert all(0 <= t < 5 for t in timing.reads) and all(0 <= t <= 5 for t in timing.cpu)


def test_the_proxy_process_keeps_its_start_up_out_of_full_collections(mock_server, tmp_path) -> None:
    """What start-up made is frozen (gc.freeze): a full collection, which stops every pair while
    it runs, walks only what forwarding made since, not every module and class."""
    mock = mock_server()
    figures = tmp_path / "timing.json"
    proc = Proc("proxy", "--listen", "127.0.0.1:0", "--upstream", mock.url, "--json",
                env=dict(os.environ, **{TIMING_ENV: str(figures)}))
    try:
        proc.until("listening on ")
    finally:
        proc.p.send_signal(signal.SIGTERM)
        rc, _, err = proc.finish()
    assert rc == 0, err
    assert json.loads(figures.read_text())["gc"]["frozen"] > 5000
