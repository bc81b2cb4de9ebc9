"""A small Realtime client that follows the protocol except for one flaw, for check-client's tests.

usage: wrong_client.py FLAW  (URL, token and time scale from REALTIME_URL, REALTIME_TOKEN,
REALTIME_TIME_SCALE). Flaws: fixed-retry (1 s between attempts), no-resubscribe (subscribes on
the first connection only), no-pong (never answers a server PING), retry-after-1008.
"""

import asyncio
import json
import os
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from inspector.protocol.backoff import Backoff

FLAW = sys.argv[1]
SCALE = float(os.environ.get("REALTIME_TIME_SCALE", "1"))
SUBSCRIPTIONS = [{"topic": "orders.eu", "filter": "data.total > `100`"}, {"topic": "ticker"}]


async def session(first: bool) -> int | None:
    """One connection; returns the close code (None for a drop)."""
    ws = await connect(os.environ["REALTIME_URL"], ping_interval=None, compression=None,
                       additional_headers={"Authorization": f"Bearer {os.environ['REALTIME_TOKEN']}"})
    try:
        if first or FLAW != "no-resubscribe":
            for sub in SUBSCRIPTIONS:
                await ws.send(b"\x01" + json.dumps(sub).encode())
        async for message in ws:
            if isinstance(message, bytes) and message[:1] == b"\x20" and FLAW != "no-pong":
                await ws.send(b"\x21" + message[1:])
    except ConnectionClosed:
        pass
    finally:
        await ws.close()
    return ws.close_code


async def main() -> int:
    backoff = Backoff(initial=0.5 * SCALE, cap=30 * SCALE, reset_after=10 * SCALE)
    loop = asyncio.get_running_loop()
    first = True
    while True:
        try:
            opened = loop.time()
            backoff.opened(opened)
            code = await session(first)
            backoff.closed(loop.time())
        except InvalidStatus:
            return 3
        except OSError:
            code = None
        first = False
        if code == 1000 or code == 4401 or (code == 1008 and FLAW != "retry-after-1008"):
            return 0
        await asyncio.sleep(1.0 if FLAW == "fixed-retry" else backoff.next_delay())


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
