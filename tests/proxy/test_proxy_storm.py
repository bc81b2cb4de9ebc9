"""A client reconnect storm through the proxy, scaled down (the issue's 100 a second for
10 s is bench/bench_proxy.py --parts storm): every storm connection gets through, the
steady pairs beside it lose and reorder nothing, and the proxy is left as it was."""

from __future__ import annotations

import asyncio
import json

from proxy_kit import running_proxy
from proxy_storm import storm

RATE, SECONDS, STEADY = 400, 0.25, 4  # 100 connections, as fast as the storm's first second


def test_a_reconnect_storm_leaves_the_steady_pairs_undisturbed_and_the_proxy_up(mock_server, kit) -> None:
    mock = mock_server()
    lines: list[str] = []

    async def body() -> None:
        async with running_proxy(mock.url, emit=lines.append, as_json=True) as proxy:
            url = f"ws://127.0.0.1:{proxy.port}/api/v2/realtime"
            figures = await storm(url, RATE, SECONDS, steady=STEADY)
            assert figures.failed == []
            assert figures.connects == RATE * SECONDS
            assert figures.problems == []
            assert figures.during_ms, "the steady pairs exchanged nothing while the storm ran"
            await asyncio.wait_for(proxy.wait_pairs(), 5)  # every pair closed
            async with kit.connect(url) as after:  # still up, and still forwarding
                await after.send(b"\x20after")
                assert await kit.recv(after) == b"\x21after"

    kit.run(body())
    notes = [json.loads(line) for line in lines if '"event":"frame"' not in line]
    opened = {n["conn"] for n in notes if n["event"] == "open"}
    closed = {n["conn"] for n in notes if n["event"] == "closed"}
    assert len(opened) == RATE * SECONDS + STEADY + 1
    assert closed == opened
