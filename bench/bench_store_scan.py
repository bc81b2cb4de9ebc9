"""The log's filters and text search over a session store, measured in one run.

    .venv/bin/python bench/bench_store_scan.py [--frames 10000000] [--ring-frames 1000000] [--rounds 3]
        [--panel-only] [--busy]

A --frames session (~100 B EVENTs as a live session stores them: read by their head only,
on 200 topics and 6 connections, JSON bodies written by different servers: key orders,
spacing, non-ASCII raw or escaped; a few PINGs, PONGs, connection events and undecodable
frames) is written, then each query runs through ``store_scan.match_chunks`` to its full
result. Beside it in the same run: a bare baseline (numpy over the whole column already in
memory; ``bytes.lower`` and one ``re`` pass over the data buffers, no rows found), and
today's in-memory ring (``FrameStore.match``) over --ring-frames of the same rows, whose first
text search also decodes every body it read by its head only (its later ones do not).
"Worst chunk" is the longest single step of the scan: what the GUI thread stalls for at most
(beside the runner's 4 ms slice). Then the event loop itself: a scan run by the log's
``ScanJob`` on a Qt loop, and the same scan in a worker thread, each beside a 1 ms ticker on
the GUI thread whose lateness is the stall. Last, the real log panel over the session
(``LogPanel`` showing the folder as an opened session does): a topic filter and text searches
typed into its filter bar, from the change to the full result in the view, with the GUI
thread's worst stall (a 1 ms ticker) and how long of it the thread waited for a CPU (Linux's
schedstat: a loaded machine's share, not the log's own work), beside the log's old way (``LogModel.set_query``: the
whole match at once, the GUI thread held for all of it) and the bare scan (``match_chunks``
in a plain loop, no GUI); with --busy, again with a child spinning on the other core. Page
cache warm (the file just written).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from bench_flood import Busy  # the other core kept busy, as the flood benchmark does

from inspector.logstore.frame_store import FLAG_BAD, FLAG_UNCHECKED, KIND_SESSION, FrameStore, Query
from inspector.logstore.session_rows import row_bytes
from inspector.logstore.session_store.layout import create_session, folder_size
from inspector.logstore.session_store.reader import SessionReader
from inspector.logstore.session_store.schema import DATA, Rows
from inspector.logstore.session_store.writer import SessionWriter
from inspector.logstore.store_scan import match_chunks
from inspector.protocol.events import State, StateChanged
from inspector.protocol.kinds import Kind

POOL = 200_000    # distinct rows, cycled through
BATCH = 65_536    # rows per append: one block each
CONNS = [f"conn-{i}" for i in range(6)]
TOPICS = ["", *[f"{region}.{feed}.t{i}" for region in ("eu", "us", "asia", "zürich")
                for feed in ("px", "book", "trades") for i in range(17)][:200]]
SYMS = ["AAPL", "MSFT", "ÉCO", "Zürich-Rück", "NESN", "東京", "BTC", "ETH"]
RARE = "o-77777"        # one pool row: 1 row in POOL
COMMON = "buy"          # about half the rows
DENSE = '":'            # several times in every row: the row-by-row path
NON_ASCII = "ZÜRICH-R"  # lower-cased as the ring does: matches "zürich-r" in any ASCII case


def pool(rng: random.Random) -> dict[str, Any]:
    """POOL rows as columns: mostly EVENTs as the log stores them, a few other rows."""
    data, kind, topic, conn, flags, direction = [], [], [], [], [], []
    weights = [1 / (i + 1) for i in range(len(TOPICS) - 1)]  # a few busy topics, many quiet ones
    topics = rng.choices(range(1, len(TOPICS)), weights, k=POOL)
    for i in range(POOL):
        r = rng.random()
        if r < 0.001:  # PING / PONG, heartbeat bytes
            k = rng.choice([Kind.PING, Kind.PONG])
            data.append(bytes([k]) + rng.randbytes(4)), kind.append(k), topic.append(0), flags.append(0)
        elif r < 0.0012:  # a connection event
            ev = StateChanged(CONNS[i % 6], 1.0, rng.choice([State.OPEN, State.CONNECTING]))
            data.append(row_bytes(ev)), kind.append(KIND_SESSION), topic.append(0), flags.append(0)
        elif r < 0.0013:  # undecodable
            data.append(b"\x7a" + rng.randbytes(20)), kind.append(0x7A), topic.append(0), flags.append(FLAG_BAD)
        else:
            data.append(_event(rng, i, TOPICS[topics[i]])), kind.append(Kind.EVENT), topic.append(topics[i])
            flags.append(FLAG_UNCHECKED)
        conn.append(rng.randrange(6))
        direction.append(2 if kind[-1] == KIND_SESSION else int(rng.random() < 0.97))
    return {"data": data, "kind": np.array(kind, np.int16), "topic": np.array(topic, np.int32),
            "conn": np.array(conn, np.uint16), "flags": np.array(flags, np.int8),
            "direction": np.array(direction, np.int8)}


def _event(rng: random.Random, i: int, topic: str) -> bytes:
    body = {"topic": topic, "type": "message", "ts": 1764300000123 + i, "seq": i,
            "data": {"px": round(rng.uniform(90, 110), 2), "s": rng.choice(["buy", "sell"]), "id": f"o-{i}"}}
    if rng.random() < 0.3:
        body["data"]["sym"] = rng.choice(SYMS)
    keys = list(body)
    rng.shuffle(keys)  # servers write their keys in any order, with or without spaces
    sep = rng.choice([(",", ":"), (", ", ": ")])
    return b"\x10" + json.dumps({k: body[k] for k in keys}, separators=sep, ensure_ascii=rng.random() < 0.3).encode()


def cycled(values: Any, a: int, b: int) -> Any:
    idx = np.arange(a, b) % POOL
    if isinstance(values, np.ndarray):
        return values[idx]
    return [values[j] for j in idx.tolist()]


def write_store(root: Path, n: int, cols: dict[str, Any]) -> Path:
    folder = create_session(root)
    with SessionWriter(folder) as w:
        for a in range(0, n, BATCH):
            b = min(n, a + BATCH)
            w.append(Rows(t=1_764_300_000.0 + np.arange(a, b) * 1e-5, conn=cycled(cols["conn"], a, b),
                          direction=cycled(cols["direction"], a, b), kind=cycled(cols["kind"], a, b),
                          topic=cycled(cols["topic"], a, b), seq=np.arange(a, b, dtype=np.int64),
                          flags=cycled(cols["flags"], a, b), data=cycled(cols["data"], a, b)), CONNS, TOPICS)
    return folder


def ring_of(n: int, cols: dict[str, Any]) -> FrameStore:
    ring = FrameStore(cap=n)
    for a in range(0, n, BATCH):
        b = min(n, a + BATCH)
        data = cycled(cols["data"], a, b)
        ring.extend_rows(1_764_300_000.0 + np.arange(a, b) * 1e-5, CONNS, cycled(cols["conn"], a, b),
                         cycled(cols["direction"], a, b), cycled(cols["kind"], a, b), TOPICS,
                         cycled(cols["topic"], a, b), np.arange(a, b, dtype=np.int64),
                         np.fromiter(map(len, data), np.int32, b - a), np.zeros(b - a, np.int64),
                         cycled(cols["flags"], a, b), data)
    return ring


QUERIES: dict[str, Query] = {
    "topic": Query(topic=TOPICS[5]),
    "topic prefix*": Query(topic="zürich.*"),
    "kind": Query(kinds=frozenset({Kind.PING, Kind.PONG})),
    "connection": Query(conn=CONNS[2]),
    "text, rare": Query(text=RARE),
    "text, common": Query(text=COMMON),
    "text, dense": Query(text=DENSE),
    "text, every row": Query(text="MESSAGE"),
    "text, non-ASCII": Query(text=NON_ASCII),
}


def scan(reader: SessionReader, q: Query) -> tuple[float, float, int]:
    """Seconds to the full result, the longest single chunk, rows found."""
    t0 = last = time.perf_counter()
    worst, found = 0.0, 0
    for _, _, rows in match_chunks(reader, q):
        now = time.perf_counter()
        worst, last = max(worst, now - last), now
        found += len(rows)
    return time.perf_counter() - t0, worst, found


class Bare:
    """The floor: numpy over a whole column already in memory, and a search of the bytes with no
    rows found (lower-case, one regex pass per block's buffer)."""

    def __init__(self, reader: SessionReader) -> None:
        self.reader = reader
        self.cols = {name: reader.column(name) for name in ("kind", "conn", "topic")}

    def run(self, q: Query) -> float:
        t0 = time.perf_counter()
        if q.text:
            pattern = re.compile(re.escape(q.text.lower().encode()))
            for k in range(len(self.reader.blocks)):
                values = self.reader.batch(k).column(DATA).buffers()[2]
                sum(1 for _ in pattern.finditer(bytes(values).lower()))
        elif q.topic:
            prefix = q.topic[:-1] if q.topic.endswith("*") else None
            ids = [i for i, t in enumerate(self.reader.topics)
                   if t and (t == q.topic or (prefix is not None and t.startswith(prefix)))]
            np.flatnonzero(np.isin(self.cols["topic"], ids))
        elif q.kinds is not None:
            np.flatnonzero(np.isin(self.cols["kind"], list(q.kinds)))
        else:
            np.flatnonzero(self.cols["conn"] == self.reader.conns.index(q.conn or ""))
        return time.perf_counter() - t0


def figures(reader: SessionReader, ring: FrameStore, rounds: int) -> None:
    bare = Bare(reader)
    first_ring: dict[str, float] = {}
    for name, q in QUERIES.items():  # the ring's first search decodes its unchecked bodies
        first_ring[name], _ = timed(lambda q=q: ring.match(q))
    runs: dict[str, list[tuple[float, float, int, float, float]]] = {}
    for _ in range(rounds):
        for name, q in QUERIES.items():
            secs, worst, found = scan(reader, q)
            runs.setdefault(name, []).append((secs, worst, found, bare.run(q), timed(lambda q=q: ring.match(q))[0]))
    n, m = len(reader), len(ring)
    print(f"\n  {'query':16s} {'rows found':>11s} {'store s (min-max)':>19s} {'worst chunk ms':>15s} "
          f"{'bare s':>7s} {'x bare':>6s} {'ring s':>7s} {'ring 1st s':>10s} {'store/row vs ring/row':>22s}")
    for name, rs in runs.items():
        secs = [r[0] for r in rs]
        med = statistics.median(secs)
        bare_s = statistics.median(r[3] for r in rs)
        ring_s = statistics.median(r[4] for r in rs)
        print(f"  {name:16s} {rs[0][2]:11,d} {med:7.3f} ({min(secs):.3f}-{max(secs):.3f}) "
              f"{max(r[1] for r in rs) * 1e3:15.1f} {bare_s:7.3f} {med / bare_s:6.1f} {ring_s:7.3f} "
              f"{first_ring[name]:10.3f} {(med / n) / (ring_s / m):22.2f}")
    print(f"  (store: {n:,} rows; ring: {m:,} rows; store/row vs ring/row: the cost per row, store over ring)")
    t_checked, _ = timed(lambda: list(match_chunks(reader, Query(text=RARE), 0, m, check_bodies=True)))
    print(f"  text, rare, over the first {m:,} rows, bodies read by head decoded too (check_bodies): "
          f"{t_checked:.2f} s (the ring's first search does this)")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def stalls(folder: Path, q: Query) -> None:
    """The GUI thread's longest stall while ``q`` scans the store: on the loop (``ScanJob``), and
    in a worker thread (its own reader) beside a ticker."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication  # not a bare QCoreApplication: the panel's figures follow

    from inspector.qt.log.scan_job import ScanJob

    app = QApplication.instance() or QApplication([])
    reader = SessionReader(folder)
    job = ScanJob()
    ticks = GapTicker(QTimer)
    ticker, gaps = ticks.timer, ticks.gaps
    job.finished.connect(lambda _complete: app.quit())
    ticker.start()
    t0 = time.perf_counter()
    job.start(lambda: match_chunks(reader, q))
    ticks.restart()
    app.exec()
    loop_s = time.perf_counter() - t0
    ticks.tick()  # the gap up to the end counts too (a scan may end before the first tick)
    ticker.stop()
    reader.close()
    loop = sorted(gaps)
    thread_gaps, thread_s = _thread_stalls(folder, q)
    print(f"  {q.text or q}: on the loop (ScanJob): done in {loop_s:.2f} s, GUI-thread gap max {loop[-1] * 1e3:.1f} ms,"
          f" p99 {loop[int(len(loop) * 0.99)] * 1e3:.1f} ms;  in a worker thread: done in {thread_s:.2f} s, "
          f"gap max {thread_gaps[-1] * 1e3:.1f} ms, p99 {thread_gaps[int(len(thread_gaps) * 0.99)] * 1e3:.1f} ms")


def _thread_stalls(folder: Path, q: Query) -> tuple[list[float], float]:
    reader = SessionReader(folder)
    done = threading.Event()
    t0 = time.perf_counter()

    def work() -> None:
        for _ in match_chunks(reader, q):
            pass
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    gaps = []
    last = time.perf_counter()
    while not done.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    secs = time.perf_counter() - t0
    worker.join()
    reader.close()
    return sorted(gaps), secs


def panel_figures(folder: Path, rounds: int, busy: bool = False) -> None:
    """The real LogPanel over the session: filter-bar changes to their full result, GUI stalls."""
    spinner = Busy() if busy else None
    try:
        _panel_figures(folder, rounds, busy)
    finally:
        if spinner is not None:
            spinner.close()


def _panel_figures(folder: Path, rounds: int, busy: bool) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from inspector.logstore.store_document import StoreDocument
    from inspector.qt.log.panel import LogPanel

    app = QApplication.instance() or QApplication([])
    doc = StoreDocument(folder)
    panel = LogPanel()
    panel.resize(1200, 700)
    panel.show()
    doc.show_rows(panel.log_rows(), 0, doc.row_count)
    panel.flush()
    app.processEvents()
    print(f"\n  the log panel over {len(panel.rows):,} rows{', the other core busy' if busy else ''} ({loadavg()}):")
    print(f"  {'query':14s} {'rows shown':>10s} {'panel s (min-max)':>19s} {'worst stall ms (min-max)':>25s} "
          f"{'of it CPU wait ms':>18s} {'old way s = stall':>18s} {'bare scan s':>12s} {'panel/bare':>10s}")
    for name in ("topic", "text, rare", "text, common"):
        q = QUERIES[name]
        runs = [_panel_run(app, panel, q, QEventLoop, QTimer) for _ in range(rounds)]
        old = []
        for _ in range(rounds):
            panel.model.set_query(Query())
            old.append(timed(lambda q=q: panel.model.set_query(q))[0])
        panel.model.set_query(Query())
        bare = [scan(doc.reader, q)[0] for _ in range(rounds)]
        secs, worst = [r[0] for r in runs], [r[1] * 1e3 for r in runs]
        waited = [r[3] * 1e3 for r in runs]
        print(f"  {name:14s} {runs[0][2]:10,d} {statistics.median(secs):7.3f} ({min(secs):.3f}-{max(secs):.3f}) "
              f"{statistics.median(worst):11.1f} ({min(worst):.1f}-{max(worst):.1f}) "
              f"{'/'.join(f'{w:.0f}' for w in waited):>18s} "
              f"{statistics.median(old):18.3f} {statistics.median(bare):12.3f} "
              f"{statistics.median(secs) / statistics.median(bare):10.2f}")
    panel.close()
    panel.log_rows().close()
    doc.close()


def queue_wait() -> float:
    """Seconds this thread has waited for a CPU while runnable (Linux's schedstat; 0 elsewhere)."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class GapTicker:
    """A 1 ms timer (``timer``: Qt's QTimer class) and the gaps between its ticks: how long the GUI
    thread went without turning, and of each how long it waited for a CPU (``waits``: a loaded
    machine's share, not the thread's own work). ``restart`` when the measured work starts."""

    def __init__(self, timer: Any) -> None:
        self.gaps: list[float] = []
        self.waits: list[float] = []
        self.last = time.perf_counter()
        self._waited = queue_wait()
        self.timer = timer()
        self.timer.setInterval(1)
        self.timer.timeout.connect(self.tick)

    def restart(self) -> float:
        self.last = time.perf_counter()
        self._waited = queue_wait()
        return self.last

    def tick(self) -> None:
        now, waited = time.perf_counter(), queue_wait()
        self.gaps.append(now - self.last)
        self.waits.append(waited - self._waited)
        self.last, self._waited = now, waited

    def worst(self) -> tuple[float, float]:
        """The longest gap and how long of it the thread waited for a CPU."""
        k = max(range(len(self.gaps)), key=self.gaps.__getitem__)
        return self.gaps[k], self.waits[k]


def _panel_run(app: Any, panel: Any, q: Query, event_loop: Any, timer: Any) -> tuple[float, float, int, float]:
    """Type ``q`` into the filter bar; (seconds to the full result, worst GUI-thread gap, rows shown,
    how long of that gap the thread waited for a CPU)."""
    panel.topic_edit.setText("")
    panel.text_edit.setText("")
    panel.apply_filter()
    app.processEvents()
    loop = event_loop()
    ticks = GapTicker(timer)
    ticker = ticks.timer
    panel.scan_job.finished.connect(loop.quit)
    ticker.start()
    panel.topic_edit.setText(q.topic)
    panel.text_edit.setText(q.text)
    t0 = ticks.restart()
    panel.apply_filter()  # what Return in the find box does
    if panel.model.scan is not None:
        loop.exec()
    secs = time.perf_counter() - t0
    ticks.tick()
    ticker.stop()
    panel.scan_job.finished.disconnect(loop.quit)
    worst, waited = ticks.worst()
    return secs, worst, panel.model.rowCount(), waited


def loadavg() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--frames", type=int, default=10_000_000)
    ap.add_argument("--ring-frames", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--panel-only", action="store_true", help="only the log panel's figures")
    ap.add_argument("--busy", action="store_true", help="the log panel's figures also with the other core busy")
    args = ap.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="bench-store-scan-"))
    try:
        cols = pool(random.Random(7))
        print(f"{loadavg()}; {os.cpu_count()} CPUs")
        secs, folder = timed(lambda: write_store(root, args.frames, cols))
        raw = sum(map(len, cols["data"])) / POOL
        print(f"store: {args.frames:,} rows of ~{raw:.0f} B written in {secs:.1f} s, "
              f"{folder_size(folder) / 2**30:.2f} GiB on disk")
        if not args.panel_only:
            reader = SessionReader(folder)
            ring = ring_of(min(args.ring_frames, args.frames), cols)
            figures(reader, ring, args.rounds)
            del ring
            reader.close()
            print(f"\n  event loop while scanning ({loadavg()}):")
            for q in (QUERIES["text, common"], QUERIES["text, rare"], QUERIES["topic"]):
                stalls(folder, q)
        for busy in (False, True) if args.busy else (False,):
            panel_figures(folder, args.rounds, busy)
        print(f"\n{loadavg()}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
