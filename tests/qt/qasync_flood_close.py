"""Flood a client on the qasync loop, then close many sockets at once, several rounds.

Run as a script (tests/qt/test_qasync_regression.py does, in a subprocess): it must
print "ok" and exit 0. PySide6 6.12.0 aborts the interpreter here (none_dealloc)
when the socket notifiers of many closing connections are torn down under qasync;
6.11.3, which the project pins, does not.

usage: python qasync_flood_close.py [--connections 50] [--rounds 4] [--flood 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parents[1] / "helpers"))  # run as a script: the tests' helpers

import qasync
from net_kit import until
from PySide6.QtWidgets import QApplication

from inspector.client.engine import ClientConfig, RealtimeClient
from inspector.client.tokens import TokenSource
from inspector.mock.server import MockConfig
from inspector.mock.thread import MockServerThread
from inspector.protocol.events import FrameSeen, State, SubState
from inspector.qt.log.panel import LogPanel


def _publish_many(server, topic: str, count: int) -> int:
    for i in range(count):
        server.publish(topic, {"i": i, "pad": "x" * 32})
    return count


async def _round(mock: MockServerThread, url: str, panel: LogPanel, r: int, n: int, flood: int) -> None:
    loop = asyncio.get_running_loop()
    received = [0]

    def count(ev) -> None:
        if type(ev) is FrameSeen:
            received[0] += 1

    clients = []
    for i in range(n):
        cfg = ClientConfig(url=url, token=TokenSource.literal(f"round{r}-conn{i}"), auto_reconnect=False,
                           ping_interval=0.05 if i % 10 == 0 else None)
        c = RealtimeClient(cfg, conn_id=f"r{r}c{i}")
        c.subscribe("flood" if i == 0 else "quiet")
        if i == 0:
            c.add_listener(panel.ingest)
            c.add_listener(count)
        clients.append(c)
        c.start()
    await until(lambda: all(c.state is State.OPEN and all(s.state is SubState.ACTIVE
                                                           for s in c.subscriptions.values())
                            for c in clients), f"round {r}: {n} connections open", 20)
    await loop.run_in_executor(None, mock.call, mock.server.publish, "quiet", {"hello": r})
    await loop.run_in_executor(None, mock.call, _publish_many, mock.server, "flood", flood)
    # stop part-way through the flood in odd rounds, so closes race with a full receive queue
    target = flood // 2 if r % 2 else flood
    await until(lambda: received[0] >= target, f"round {r}: flood received", 30)

    how = r % 3
    if how == 0:    # the server closes every connection at once
        await loop.run_in_executor(None, mock.call, mock.server.close_all, 1001, "server restart")
    elif how == 1:  # we close every connection at once
        await asyncio.gather(*(c.stop() for c in clients))
    else:           # abrupt: transports aborted, no close handshake
        for c in clients:
            ws = c._ws
            if ws is not None:
                ws.transport.abort()
    await until(lambda: all(c.state is State.STOPPED for c in clients), f"round {r}: all stopped", 20)
    for c in clients:
        await c.stop()
    panel.flush()


async def main(args) -> int:
    mock = MockServerThread(MockConfig(close_timeout=1.0))
    url = mock.start()
    panel = LogPanel()
    panel.show()
    try:
        for r in range(args.rounds):
            await _round(mock, url, panel, r, args.connections, args.flood)
            print(f"round {r}: {args.connections} connections closed, log has {panel.frame_count()} frames",
                  flush=True)
    finally:
        await asyncio.get_running_loop().run_in_executor(None, mock.stop)
        panel.close()
    return 0


def run() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--flood", type=int, default=20000)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        code = loop.run_until_complete(main(args))
    print("ok", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(run())
