"""Flood benchmark: can the desktop app keep up with the network?

A mock server runs in another process (bench/flood_server.py). It queues N small
EVENT frames at once for one subscriber, which receives them

  (a) with a bare websockets receive loop on a plain asyncio loop (the ceiling),
  (b) through the full app path on the qasync loop: RealtimeClient -> LogPanel
      (frame store -> model -> view) inside the real MainWindow, with the
      connection tab, subscription editor and latency plot listening too.

It prints frames/s of each, their ratio, the UI event-loop lag during (b) (how
late a 10 ms QTimer fires), and the peak RSS of this process.

Both are timed from the first message received to the last one counted: (a) when
recv() returned it, (b) when it is in the frame store after the log's batched flush.
(b) can beat (a): the client frames plain binary messages itself and hands them over
by callback (inspector/client/wire.py), where (a) pays websockets' parser,
assembler and a Future per recv().

usage: python bench/bench_flood.py [--frames 300000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
TOPIC = "bench.flood"
LAG_INTERVAL_MS = 10


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


class Server:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "flood_server.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                     env=dict(os.environ, PYTHONPATH=str(ROOT)))
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("ws://"):
            raise SystemExit(f"flood server did not start: {self.url!r}")

    def flood(self, n: int) -> None:
        self.proc.stdin.write(f"flood {TOPIC} {n}\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


# ---------------------------------------------------------------- (a) bare websockets
async def bare(url: str, server: Server, n: int) -> float:
    from websockets.asyncio.client import connect

    async with connect(url, additional_headers={"Authorization": f"Bearer {TOKEN}"}, ping_interval=None,
                       compression=None, max_size=2**22, max_queue=None) as ws:
        await ws.send(b'\x01{"topic":"' + TOPIC.encode() + b'"}')
        await ws.recv()  # the presence sync: subscribed
        server.flood(n)
        count = 0
        first = await ws.recv()
        t0 = time.perf_counter()
        count = 1 if first[:1] == b"\x10" else 0
        while count < n:
            msg = await ws.recv()
            if msg[:1] == b"\x10":
                count += 1
        return n / (time.perf_counter() - t0)


# ---------------------------------------------------------------- (b) the app path
async def app_path(window, url: str, server: Server, n: int, lags: list[float]) -> float:
    from PySide6.QtCore import QTimer

    from inspector.profiles import Profile
    from inspector.protocol.events import FrameSeen, State, SubState

    profile = Profile(name="bench", url=url, token=TOKEN, ping_interval=0.0)
    from inspector.profiles import Subscription
    profile.subscriptions = [Subscription(TOPIC)]
    tab = window.open_connection(profile)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while not (tab.client.state is State.OPEN and tab.client.subscriptions[TOPIC].state is SubState.ACTIVE):
        if loop.time() > deadline:
            raise SystemExit("app path: did not subscribe")
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    window.log_panel.flush()
    base = window.log_panel.frame_count()
    first: list[float] = []

    def on_first(ev) -> None:
        if type(ev) is FrameSeen and not first:
            first.append(time.perf_counter())
    tab.client.add_listener(on_first)

    timer = QTimer()
    timer.setTimerType(__import__("PySide6.QtCore", fromlist=["Qt"]).Qt.TimerType.PreciseTimer)
    timer.setInterval(LAG_INTERVAL_MS)
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        if first:
            lags.append(max(0.0, (now - last[0]) * 1000 - LAG_INTERVAL_MS))
        last[0] = now
    timer.timeout.connect(tick)
    timer.start()

    server.flood(n)
    target = base + n
    deadline = loop.time() + 300
    while window.log_panel.frame_count() < target:  # in the frame store, after the batched flush
        if loop.time() > deadline:
            raise SystemExit(f"app path: only {window.log_panel.frame_count() - base} of {n} frames")
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - first[0]
    timer.stop()
    # the view really took them: the model's row count follows the store
    await asyncio.sleep(0.1)
    rows = window.log_panel.model.rowCount()
    if rows < n:
        print(f"warning: the view shows {rows} rows for {n} frames", file=sys.stderr)
    return n / elapsed


def run_app_path(url: str, server: Server, n: int, repeat: int) -> tuple[list[float], list[float]]:
    import qasync
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from inspector.mock.server import MockConfig
    from inspector.profiles import ProfileStore
    from inspector.qt.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    tmp = tempfile.mkdtemp(prefix="bench-flood-")
    store = ProfileStore(tmp)
    store.load()
    window = MainWindow(store, QSettings(os.path.join(tmp, "ui.ini"), QSettings.Format.IniFormat),
                        MockConfig())
    window.show()
    lags: list[float] = []

    async def main() -> list[float]:
        rates = []
        for _ in range(repeat):
            window.log_panel.clear()  # every run starts from an empty store
            rates.append(await app_path(window, url, server, n, lags))
            for tab in window.tabs():
                await tab.shutdown()
        window.closed = asyncio.get_running_loop().create_future()
        window.close()
        await window.closed
        return rates

    with loop:
        rates = loop.run_until_complete(main())
    return rates, lags


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each path; the median is compared")
    args = parser.parse_args()
    n = args.frames
    server = Server()
    try:
        bare_rates = [asyncio.run(bare(server.url, server, n)) for _ in range(args.repeat)]
        rss_a = peak_rss_mb()
        app_rates, lags = run_app_path(server.url, server, n, args.repeat)
    finally:
        server.close()
    bare_rate, app_rate = statistics.median(bare_rates), statistics.median(app_rates)

    def spread(rates: list[float]) -> str:
        return f"median of {len(rates)}: " + ", ".join(f"{r:,.0f}" for r in sorted(rates))

    from inspector.protocol.frames import Event, encode
    size = len(encode(Event(TOPIC, "message", int(time.time() * 1000), {"i": n // 2}, n // 2)))
    print(f"frames per run:           {n:,} EVENTs of about {size} bytes")
    print(f"(a) bare websockets loop: {bare_rate:,.0f} frames/s ({spread(bare_rates)}; "
          f"peak RSS then {rss_a:.0f} MiB)")
    print(f"(b) full app path:        {app_rate:,.0f} frames/s ({spread(app_rates)})")
    print(f"ratio (b)/(a):            {app_rate / bare_rate:.2f}  (target >= 0.8)")
    print(f"UI loop lag during (b):   p50 {percentile(lags, 50):.1f} ms, p99 {percentile(lags, 99):.1f} ms, "
          f"max {max(lags) if lags else float('nan'):.1f} ms over {len(lags)} ticks of a {LAG_INTERVAL_MS} ms "
          f"timer  (target p99 <= 100 ms)")
    print(f"peak RSS:                 {peak_rss_mb():.0f} MiB ({n:,} frames in the store)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
