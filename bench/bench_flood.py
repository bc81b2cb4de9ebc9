"""Flood benchmark: does the desktop app keep up with the network, and stay smooth, on every shape of traffic?

A server process (bench/flood_server.py, written from the spec, not the project's
mock) writes websocket frames built once, so the sender is never the limit. For
each shape of traffic it floods subscribers that receive it

  (a) with a bare websockets recv() loop on a plain asyncio loop (the reference),
  (b) through the full app path on the qasync loop: RealtimeClient -> LogPanel
      (frame store -> model -> view) inside the real MainWindow, offscreen, the log
      written to a session store as the app writes it (--no-store: the ring alone),
  (c) with a picows receive loop (the limit line; `pip install '.[bench]'`).

(a) and (c) run in a receiver process of their own, and the runs of the three
paths are interleaved (a b c, then b a c, ...), so a machine that drifts during the
benchmark weighs on every path alike instead of on whichever ran last. Only one
path receives at a time; the others wait on a pipe.

Shapes: compact JSON in the codec's key order; json.dumps defaults with another key
order; compact with ~1 KB data; presence-heavy; four connections at once; and, as other
servers write them (json.dumps, keys in other orders): deep nesting, many small keys,
long strings, \\u escapes, another server's ~1 KB list of 22 small objects, 8 KB and
60 KB bodies. A run of a large shape sends fewer frames (at most --max-mb of them).
--busy keeps the other core loaded for the whole benchmark (a child spinning in Python).
Prints per shape frames/s of each, app/bare, app/limit, the UI event-loop lag
during (b) (how late a 10 ms timer fires) p50/p99, and the GUI thread's CPU time per
frame during (b) (steadier than rates on a shared machine: what neighbours take is not
counted), beside the bare loop's (its receiving thread, connecting included). Below the
table, per run: the GUI thread's page faults per frame (memory touched for the first time)
and the share of the run it waited, runnable, for a CPU (what the machine's neighbours
took). Each rate is timed from the first message received to the last one counted ((b):
when it is in the frame store).
One untimed app run comes first: what loads on the first connection and flood (the latency
plot) is bench_startup.py's to measure, not whichever shape runs first.
Exits 3 when a target is missed.

usage: python bench/bench_flood.py [--frames 200000] [--repeat 3] [--shapes compact,dumps,...] [--busy]
       [--paths app]  (the app path alone: for a profiler)
       [--profile DIR]  (py-spy samples each timed app run, from its flood to its last frame stored:
                         DIR/<shape>-<run>.txt, py-spy's raw format, Python frames)
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
TOPIC = "bench.flood"
LAG_INTERVAL_MS = 10
RATIO_TARGET = 0.9       # app / bare websockets loop, at least
LAG_P99_TARGET_MS = 16   # one 60 Hz frame, at most
TARGETS_MISSED = 3
WARM_UP = 20_000  # frames of one untimed app run before the first timed one
SHAPES = {  # name: (connections, what the server sends)
    "compact": (1, "compact JSON, keys in the codec's order"),
    "dumps": (1, "json.dumps defaults, type before topic"),
    "large": (1, "compact, ~1 KB data"),
    "presence": (1, "3 presence events to 1 message"),
    "four": (4, "compact, four connections at once"),
    "deep": (1, "json.dumps, data nested 48 deep"),
    "manykeys": (1, "json.dumps, data of 200 small keys, seq first"),
    "longstr": (1, "compact, data first, two long strings"),
    "escapes": (1, "json.dumps, \\u escapes (ensure_ascii), topic first"),
    "nested1k": (1, "compact, ~1 KB: a list of 22 small objects, type last"),
    "body8k": (1, "json.dumps, 8 KB of records"),
    "body60k": (1, "json.dumps, 60 KB of records"),
}
PATHS = ("bare", "app", "limit")


def frame_size(shape: str) -> int:
    """Bytes of one message of ``shape``, as the flood server builds it."""
    spec = importlib.util.spec_from_file_location("flood_server", ROOT / "bench" / "flood_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return len(module.body_of(shape, 1)(1))


class Busy:
    """A child process spinning in Python for as long as the benchmark runs: the other core loaded."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def thread_faults() -> int:
    """Page faults of the calling thread so far (minor: memory touched for the first time)."""
    return resource.getrusage(resource.RUSAGE_THREAD).ru_minflt


def thread_waited() -> float:
    """Seconds the calling thread has waited, runnable, for a CPU (Linux schedstat; nan elsewhere):
    what the machine's neighbours took from it."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


class Server:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "flood_server.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                     env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        self.url = self.stdout.readline().strip()
        if not self.url.startswith("ws://"):
            raise SystemExit(f"flood server did not start: {self.url!r}")

    def _say(self, line: str) -> None:
        self.stdin.write(line + "\n")
        self.stdin.flush()

    def build(self, shape: str, n: int) -> None:
        """Have the frames ready before the clock starts."""
        self._say(f"build {shape} {n}")
        if self.stdout.readline().strip() != "built":
            raise SystemExit("flood server did not build")

    def flood(self, shape: str, n: int) -> None:
        self._say(f"flood {shape} {n}")

    def close(self) -> None:
        try:
            self._say("quit")
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


class Profiler:
    """py-spy sampling this process (every thread; Python frames only, without pausing it: pausing to
    read native stacks slowed the flood several times over) for one timed app run: what a
    whole-process profile of the benchmark would bury under start-up, warm-up and the other paths."""

    def __init__(self, folder: str, name: str) -> None:
        spy = shutil.which("py-spy", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
        if spy is None:
            raise SystemExit("--profile: py-spy not found (pip install py-spy)")
        os.makedirs(folder, exist_ok=True)
        self.path = os.path.join(folder, name + ".txt")
        self.proc = subprocess.Popen([spy, "record", "--pid", str(os.getpid()), "--rate", "250", "--nonblocking",
                                      "--format", "raw", "--output", self.path],
                                     stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Span:
    """First and last arrival over every connection of a run."""

    def __init__(self) -> None:
        self.first = float("inf")
        self.last = 0.0

    def rate(self, n: int) -> float:
        return n / (self.last - self.first)


# ---------------------------------------------------------------- (a) bare websockets
async def bare(url: str, start_flood: Callable[[], None], per_conn: int, conns: int) -> float:
    from websockets.asyncio.client import connect

    span = Span()

    async def receive(ws: Any) -> None:
        count = 0
        msg = await ws.recv()
        span.first = min(span.first, time.perf_counter())
        while True:
            if msg[:1] == b"\x10":
                count += 1
                if count == per_conn:
                    break
            msg = await ws.recv()
        span.last = max(span.last, time.perf_counter())

    sockets = []
    for _ in range(conns):
        ws = await connect(url, additional_headers={"Authorization": f"Bearer {TOKEN}"},
                           ping_interval=None, compression=None, max_size=2**22, max_queue=None)
        await ws.send(b'\x01{"topic":"' + TOPIC.encode() + b'"}')
        await ws.recv()  # the presence sync: subscribed
        sockets.append(ws)
    start_flood()
    await asyncio.gather(*(receive(ws) for ws in sockets))
    for ws in sockets:
        await ws.close()
    return span.rate(per_conn * conns)


# ---------------------------------------------------------------- (c) picows, the limit
def picows_missing() -> str | None:
    try:
        import picows  # noqa: F401
    except ImportError as exc:
        return f"picows cannot be imported here ({exc}); pip install '.[bench]'"
    return None


async def limit(url: str, start_flood: Callable[[], None], per_conn: int, conns: int) -> float:
    from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

    span = Span()
    loop = asyncio.get_running_loop()

    class Counter(WSListener):  # type: ignore[misc]
        def __init__(self) -> None:
            self.count = -1  # the presence sync comes first
            self.synced = loop.create_future()
            self.done = loop.create_future()

        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            if frame.msg_type != WSMsgType.BINARY or frame.get_payload_as_memoryview()[:1] != b"\x10":
                return
            self.count += 1
            if self.count == 0:
                self.synced.set_result(None)
            elif self.count == 1:
                span.first = min(span.first, time.perf_counter())
            if self.count == per_conn:
                span.last = max(span.last, time.perf_counter())
                self.done.set_result(None)

    pairs = []
    for _ in range(conns):
        transport, listener = await ws_connect(Counter, url,
                                               extra_headers={"Authorization": f"Bearer {TOKEN}"})
        transport.send(WSMsgType.BINARY, b'\x01{"topic":"' + TOPIC.encode() + b'"}')
        await listener.synced
        pairs.append((transport, listener))
    start_flood()
    await asyncio.gather(*(listener.done for _, listener in pairs))
    for transport, _ in pairs:
        transport.send_close()
        transport.disconnect()
        await transport.wait_disconnected()
    return span.rate(per_conn * conns)


# ---------------------------------------------------------------- the receiver process of (a) and (c)
RECEIVERS = {"bare": bare, "limit": limit}


def receiver_main(url: str) -> int:
    """Obey "PATH PER_CONN CONNS" lines: subscribe, say "subscribed" (the caller then starts
    the flood), receive it on a fresh plain asyncio loop and print the rate."""
    def subscribed() -> None:
        print("subscribed", flush=True)
    for line in sys.stdin:
        path, per_conn, conns = line.split()
        cpu0, faults0 = time.thread_time(), thread_faults()
        rate = asyncio.run(RECEIVERS[path](url, subscribed, int(per_conn), int(conns)))
        n = int(per_conn) * int(conns)
        print(f"{rate!r} {(time.thread_time() - cpu0) / n * 1e6!r} {(thread_faults() - faults0) / n!r}", flush=True)
    return 0


class Receiver:
    """The receiver process, seen from the benchmark."""

    def __init__(self, url: str) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, "--receiver", url], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout

    def run(self, server: Server, path: str, shape: str, per_conn: int, conns: int) -> tuple[float, float, float]:
        """One run of ``path`` (the app's process waits meanwhile): frames/s, and the receiving
        thread's CPU µs and page faults per frame (connecting and closing included)."""
        self.stdin.write(f"{path} {per_conn} {conns}\n")
        self.stdin.flush()
        if self.stdout.readline().strip() != "subscribed":
            raise SystemExit(f"{path} receiver did not subscribe")
        server.flood(shape, per_conn)
        line = self.stdout.readline().strip()
        if not line:
            raise SystemExit(f"{path} receiver ended")
        rate, cpu, faults = map(float, line.split())
        return rate, cpu, faults

    def close(self) -> None:
        try:
            self.stdin.close()
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


# ---------------------------------------------------------------- (b) the app path
async def _wait_subscribed(tabs: list[Any]) -> None:
    """Until every tab's client is open and subscribed to TOPIC (SystemExit after 20 s)."""
    from inspector.protocol.events import State, SubState

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while not all(t.client.state is State.OPEN and TOPIC in t.client.subscriptions
                  and t.client.subscriptions[TOPIC].state is SubState.ACTIVE for t in tabs):
        if loop.time() > deadline:
            raise SystemExit("app path: did not subscribe")
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)


async def _all_stored(panel: Any, target: int) -> float:
    """When the log's store holds ``target`` frames (SystemExit after 300 s). The panel's own hook
    after each batch is in the store: the end is timed exactly, and no timer polls the count
    meanwhile (its wake-ups would be charged to the path measured)."""
    from inspector.protocol.events import FrameSeen

    stored: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    def on_stored(_batch: list[FrameSeen], _stored: bool) -> None:
        if panel.frame_count() >= target and not stored.done():
            stored.set_result(time.perf_counter())
    panel.add_flush_hook(on_stored)
    try:
        async with asyncio.timeout(300):
            return await stored
    except TimeoutError:
        raise SystemExit(f"app path: {panel.frame_count()} frames stored of {target}") from None
    finally:
        panel.remove_flush_hook(on_stored)


async def app_path(window: Any, server: Server, shape: str, per_conn: int, conns: int, r: Result,
                   spy: str | None = None) -> float:
    from PySide6.QtCore import Qt, QTimer

    from inspector.profiles import Profile, Subscription
    from inspector.protocol.events import FrameSeen, SessionEvent

    tabs = []
    for k in range(conns):
        profile = Profile(name=f"bench{k}", url=server.url, token=TOKEN, ping_interval=0.0)
        profile.subscriptions = [Subscription(TOPIC)]
        tabs.append(window.open_connection(profile))
    await _wait_subscribed(tabs)
    window.log_panel.flush()
    base = window.log_panel.frame_count()
    first: list[float] = []

    def on_first(frames: list[FrameSeen], _event: SessionEvent | None) -> None:
        # a batch listener, as the app's own consumers are, so measuring adds no Python call
        # per frame to the path measured; the rate starts when the first frame was received
        # (its own receive time), not when its batch was handed over
        if frames and not first:
            first.append(time.perf_counter() - (time.time() - frames[0].t))
    for tab in tabs:
        tab.client.add_batch_listener(on_first)

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(LAG_INTERVAL_MS)
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        if first:
            r.lags.append(max(0.0, (now - last[0]) * 1000 - LAG_INTERVAL_MS))
        last[0] = now
    timer.timeout.connect(tick)
    timer.start()

    n = per_conn * conns
    profiler = Profiler(*os.path.split(spy)) if spy else None
    cpu0, faults0, waited0 = time.thread_time(), thread_faults(), thread_waited()
    server.flood(shape, per_conn)
    elapsed = await _all_stored(window.log_panel, base + n) - first[0]
    r.cpu.append((time.thread_time() - cpu0) / n * 1e6)
    r.faults.append((thread_faults() - faults0) / n)
    r.waits.append((thread_waited() - waited0) / elapsed)
    if profiler is not None:
        profiler.stop()
    timer.stop()
    loop = asyncio.get_running_loop()
    settle = loop.time() + 1  # the table follows a busy flood less often than the store (LogPanel._sync)
    while window.log_panel.model.rowCount() < n and loop.time() < settle:  # noqa: ASYNC110 - no signal says so
        await asyncio.sleep(0.01)
    rows = window.log_panel.model.rowCount()
    if rows < n:
        print(f"warning: the view shows {rows} rows for {n} frames", file=sys.stderr)
    for tab in tabs:
        tab.client.remove_batch_listener(on_first)
        await tab.shutdown()
    return n / elapsed


@dataclass
class Result:
    bare: list[float] = field(default_factory=list)
    app: list[float] = field(default_factory=list)
    limit: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # the app's GUI thread, µs per frame
    faults: list[float] = field(default_factory=list)  # the app's GUI thread, page faults per frame
    waits: list[float] = field(default_factory=list)  # the app's GUI thread, share of the run waiting for a CPU
    bare_cpu: list[float] = field(default_factory=list)  # the bare loop's, µs per frame
    bare_faults: list[float] = field(default_factory=list)


def run_all(server: Server, receiver: Receiver, shapes: list[str], frames: dict[str, int], repeat: int,
            paths: list[str], results: dict[str, Result], session_store: bool = True,
            profile: str | None = None) -> None:
    """Every run of every path, interleaved, from the app's process (the window is made once), the
    log written to a session store as the app writes it (``session_store``; else the ring alone)."""
    import qasync
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from inspector.mock.server import MockConfig
    from inspector.profiles import ProfileStore
    from inspector.qt.main_window import MainWindow, freeze_startup_objects

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    tmp = tempfile.mkdtemp(prefix="bench-flood-")
    store = ProfileStore(tmp)
    store.load()
    window = MainWindow(store, QSettings(os.path.join(tmp, "ui.ini"), QSettings.Format.IniFormat), MockConfig())
    window.show()
    live = None
    if session_store:
        from inspector.qt.live_store import LiveStore
        live = LiveStore(window, os.path.join(tmp, "sessions"))
    freeze_startup_objects()  # as the app does once its window is up

    async def main() -> None:
        if "app" in paths:  # untimed: what loads on the first connection and flood (the latency plot) is
            # bench_startup's business, not any one shape's run
            server.build("compact", WARM_UP)
            await app_path(window, server, "compact", WARM_UP, 1, Result())
        for shape in shapes:
            conns = SHAPES[shape][0]
            per_conn = frames[shape] // conns
            r = results[shape]
            server.build(shape, per_conn)
            for i in range(repeat):
                order = ["bare", "app"] if i % 2 == 0 else ["app", "bare"]
                for path in [p for p in [*order, "limit"] if p in paths]:
                    if path == "app":
                        window.log_panel.clear()  # every run starts from an empty store
                        where = os.path.join(profile, f"{shape}-{i + 1}") if profile else None
                        r.app.append(await app_path(window, server, shape, per_conn, conns, r, where))
                    else:
                        rate, cpu, faults = receiver.run(server, path, shape, per_conn, conns)
                        getattr(r, path).append(rate)
                        if path == "bare":
                            r.bare_cpu.append(cpu)
                            r.bare_faults.append(faults)
        if live is not None:
            live.close()
        window.closed = asyncio.get_running_loop().create_future()
        window.close()
        await window.closed

    try:
        with loop:
            loop.run_until_complete(main())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the session written: gigabytes of frames


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] == ["--receiver"]:
        return receiver_main(sys.argv[2])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=200_000, help="frames per run, over all its connections")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each path and shape; medians compared")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated, of: " + ", ".join(SHAPES))
    parser.add_argument("--max-mb", type=float, default=256, help="bytes per run at most: fewer frames of large shapes")
    parser.add_argument("--busy", action="store_true", help="keep the other core busy for the whole benchmark")
    parser.add_argument("--paths", default=",".join(PATHS), help="comma-separated, of: " + ", ".join(PATHS))
    parser.add_argument("--no-store", action="store_true",
                        help="the app's log in its ring alone, no session store written (as before the store)")
    parser.add_argument("--profile", metavar="DIR",
                        help="py-spy samples each timed app run's flood into DIR/<shape>-<run>.txt (raw format)")
    args = parser.parse_args(argv)
    shapes = [s for s in args.shapes.split(",") if s]
    paths = [p for p in args.paths.split(",") if p]
    for s in shapes:
        if s not in SHAPES:
            parser.error(f"unknown shape {s!r}")
    for p in paths:
        if p not in PATHS:
            parser.error(f"unknown path {p!r}")
    no_limit = picows_missing() if "limit" in paths else None
    if no_limit:
        paths.remove("limit")
    frames = {s: max(SHAPES[s][0], min(args.frames, int(args.max_mb * 2**20 / frame_size(s)))) for s in shapes}
    results = {s: Result() for s in shapes}
    busy = Busy() if args.busy else None
    server = Server()
    receiver = Receiver(server.url)
    try:
        run_all(server, receiver, shapes, frames, args.repeat, paths, results, session_store=not args.no_store,
                profile=args.profile)
    finally:
        receiver.close()
        server.close()
        if busy is not None:
            busy.close()
    return report(shapes, results, args, no_limit, frames)


def median(rates: list[float]) -> float:
    return statistics.median(rates) if rates else float("nan")


def report(shapes: list[str], results: dict[str, Result], args: argparse.Namespace, no_limit: str | None,
           frames: dict[str, int]) -> int:
    print(f"frames per run: {args.frames:,} over its connections (at most {args.max_mb:g} MB); medians of "
          f"{args.repeat} interleaved runs; targets: app/bare >= {RATIO_TARGET}, lag p99 <= {LAG_P99_TARGET_MS} ms"
          + ("; the other core busy" if args.busy else "")
          + ("; the ring alone (no session store)" if args.no_store else "; the log kept in a session store")
          + f"; load average {os.getloadavg()[0]:.2f}")
    print(f"{'shape':<9} {'conns':>5} {'frames':>8} {'bare/s':>10} {'app/s':>10} {'app/bare':>9} {'lag p50':>8} "
          f"{'lag p99':>8} {'limit/s':>11} {'app/limit':>9} {'app µs/fr':>9} {'bare µs/fr':>10} {'app flt/fr':>10}")
    missed = []
    for shape in shapes:
        r = results[shape]
        bare_rate, app_rate = median(r.bare), median(r.app)
        ratio, p99 = app_rate / bare_rate, percentile(r.lags, 99)
        limit_rate = statistics.median(r.limit) if r.limit else None
        ok_ratio, ok_lag = not r.bare or ratio >= RATIO_TARGET, p99 <= LAG_P99_TARGET_MS
        if not ok_ratio:
            missed.append(f"{shape} app/bare {ratio:.2f}")
        if not ok_lag:
            missed.append(f"{shape} lag p99 {p99:.1f} ms")
        print(f"{shape:<9} {SHAPES[shape][0]:>5} {frames[shape]:>8,} {bare_rate:>10,.0f} {app_rate:>10,.0f} "
              f"{ratio:>8.2f}{' ' if ok_ratio else '!'} {percentile(r.lags, 50):>6.1f}ms "
              f"{p99:>6.1f}ms{' ' if ok_lag else '!'}"
              + (f"{limit_rate:>10,.0f} {app_rate / limit_rate:>9.2f}" if limit_rate else f"{'n/a':>10} {'n/a':>9}")
              + f" {median(r.cpu):>9.2f} {median(r.bare_cpu):>10.2f} {median(r.faults):>10.2f}   {SHAPES[shape][1]}")
    for shape in shapes:
        r = results[shape]
        pairs = ", ".join(f"{a / b:.2f}" for a, b in zip(r.app, r.bare, strict=False))
        print(f"  {shape}: bare {spread(r.bare)}; app {spread(r.app)}; app/bare by run {pairs}"
              + (f"; limit {spread(r.limit)}" if r.limit else "")
              + f"; app CPU µs/frame {', '.join(f'{c:.2f}' for c in sorted(r.cpu))}"
              + f", page faults/frame {', '.join(f'{c:.2f}' for c in sorted(r.faults))}"
              + f", share of the run waiting for a CPU {', '.join(f'{c:.2f}' for c in sorted(r.waits))}"
              + (f"; bare CPU µs/frame {', '.join(f'{c:.2f}' for c in sorted(r.bare_cpu))}"
                 f", page faults/frame {', '.join(f'{c:.2f}' for c in sorted(r.bare_faults))}" if r.bare_cpu else "")
              + f"; lag max {max(r.lags, default=float('nan')):.1f} ms over {len(r.lags)} ticks")
    if no_limit:
        print(f"limit: n/a ({no_limit})")
    print(f"peak RSS of the app's process: {peak_rss_mb():.0f} MiB")
    if missed:
        print("targets missed: " + "; ".join(missed))
        return TARGETS_MISSED
    print("targets met")
    return 0


def spread(rates: list[float]) -> str:
    return ", ".join(f"{r:,.0f}" for r in sorted(rates))


if __name__ == "__main__":
    sys.exit(main())
