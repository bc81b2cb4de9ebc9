"""The client's receive path alone: socket -> frames -> heads -> batch listener, no Qt.

A RealtimeClient on a plain asyncio loop subscribes to bench/flood_server.py (another
server's bytes, built before the clock starts) and counts what its batch listener is
handed. Prints, per shape, frames/s and the thread's CPU time per frame (what neighbours
on a shared machine take is not counted in the latter). The stages it covers are the
"receive" and "classify" lines of the app path in bench/bench_flood.py.

For a figure that does not move with the machine's load, count instructions: run it
under callgrind with N and 2N frames; (Ir(2N) - Ir(N)) / N is the cost of one frame.

usage: python bench/bench_receive.py [--frames 200000] [--shapes compact,nested1k,...]
       valgrind --tool=callgrind --callgrind-out-file=/dev/null python bench/bench_receive.py --frames 20000
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_flood", ROOT / "bench" / "bench_flood.py")
assert _spec is not None and _spec.loader is not None
bench_flood = importlib.util.module_from_spec(_spec)
sys.modules["bench_flood"] = bench_flood
_spec.loader.exec_module(bench_flood)


async def receive(url: str, server: bench_flood.Server, shape: str, n: int) -> tuple[float, float]:
    """Frames/s and CPU µs per frame of one flood of ``n`` frames of ``shape``."""
    from inspector.client.engine import ClientConfig, RealtimeClient
    from inspector.client.tokens import TokenSource
    from inspector.protocol.events import FrameSeen, SessionEvent, State, SubscriptionChanged, SubState

    client = RealtimeClient(ClientConfig(url, TokenSource.literal(bench_flood.TOKEN)))
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    count = [0]
    first = [0.0]

    def on_batch(frames: list[FrameSeen], _event: SessionEvent | None) -> None:
        if frames and not count[0]:
            first[0] = time.perf_counter()
        count[0] += len(frames)
        if count[0] >= n and not done.done():
            done.set_result(time.perf_counter())
    client.add_batch_listener(on_batch)
    client.start()
    await client.wait_state(State.OPEN, 20)
    active = asyncio.ensure_future(client.wait_event(
        lambda ev: isinstance(ev, SubscriptionChanged) and ev.state is SubState.ACTIVE, 20))
    client.subscribe(bench_flood.TOPIC)
    await active
    count[0] = 0
    cpu0 = time.thread_time()
    server.flood(shape, n)
    end = await done
    cpu = (time.thread_time() - cpu0) / n * 1e6
    await client.stop()
    return n / (end - first[0]), cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=200_000)
    parser.add_argument("--shapes", default="compact,nested1k")
    parser.add_argument("--max-mb", type=float, default=256, help="bytes per run at most: fewer frames of large shapes")
    args = parser.parse_args()
    server = bench_flood.Server()
    try:
        for shape in args.shapes.split(","):
            n = max(1, min(args.frames, int(args.max_mb * 2**20 / bench_flood.frame_size(shape))))
            server.build(shape, n)
            rate, cpu = asyncio.run(receive(server.url, server, shape, n))
            print(f"{shape:<9} {n:>8,} frames {rate:>10,.0f}/s  CPU {cpu:6.2f} µs/frame", flush=True)
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
