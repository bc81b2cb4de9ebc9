"""A mock server process for bench_flood.py: prints its URL, then obeys stdin.

    flood TOPIC N   queue N small message EVENTs on TOPIC at once (the per-connection
                    writers then send them as fast as the socket takes them)
    quit            stop

Publishing happens in one synchronous burst, so the subscriber sees a queue that
is already full and the measured rate is the receive side's, not the publisher's.
"""

from __future__ import annotations

import asyncio
import sys
import time

from inspector.mock.server import MockConfig, MockServer


async def main() -> int:
    server = MockServer(MockConfig(port=0, ping_interval=3600, idle_timeout=3600,
                                   max_connections_per_token=100, max_queue_bytes=2**30))
    await server.start()
    print(server.url, flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        parts = line.split()
        if not parts or parts[0] == "quit":
            break
        if parts[0] == "flood" and len(parts) == 3:
            topic, n = parts[1], int(parts[2])
            t0 = time.perf_counter()
            for i in range(n):
                server.publish(topic, {"i": i})
            print(f"queued {n} in {time.perf_counter() - t0:.2f} s", file=sys.stderr, flush=True)
    await server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
