"""The session store against today's ring and recording, measured in one run.

    .venv/bin/python bench/bench_store.py [--frames 10000000] [--rirec-frames 1000000] [--rounds 3]
        [--live-frames 400000] [--live-rounds 12] [--busy] [--rss-frames 10000000]
        [--only ingest|live|disk|formats|rss]

(1) Ingest, small (~100 B) and 1 KB EVENT frames in the log's flush-sized batches: a bare
    list, today's in-memory ring (FrameStore.extend), the ring plus the session writer
    (what keeping every frame adds: the writer takes the ring's new columns), and the
    writer alone, with and without LZ4 buffers. Rounds alternate; medians are printed.
(2) The file format, side by side on the same --frames rows (~100 B frames): the store's
    Arrow IPC stream with its block index, and a hand-made columnar layout (one file per
    column, memory-mapped numpy). For each: write throughput, bytes on disk / raw bytes,
    open and read the first and the last 100 rows, filters by topic, kind and connection,
    and a free-text search of the raw bytes. Beside them today's path: a --rirec-frames
    .rirec recording prepared for the log and put in the ring (what the app does on open),
    and the ring's own filters and search over its 1,000,000 rows.
(3) The app's own ingest path (--only live): the ring alone against the ring with the live
    session attached as the app attaches it (LiveSession, its writes thread, a tick per
    batch), writing, keeping a span, and with LZ4: --live-rounds short rounds of --live-frames
    (a quarter for 1 KB frames), every case once a round in a turning order, each compared with
    the ring's run of the same round; median and quartiles of those ratios, of wall time and of
    the GUI thread's CPU time, and the microseconds per frame the store adds on the GUI thread
    and in the whole process, and what each of the writer's fast paths saves (the rows' own
    bytes written, not joined; disk space reserved ahead); --busy runs it again with a child
    spinning on the other core.
(4) Disk (--only disk): bytes on disk / raw frame bytes for ~100 B and 1 KB frames written
    through the live session, with and without LZ4, and what the overhead is made of.
(5) Memory (--only rss): --rss-frames (10,000,000) EVENTs of ~1 KB and of ~100 B, each its own
    bytes, through the ring backed by the live session as the app backs it (LiveSession +
    LogRows), each in a child process: peak and steady RSS (anonymous and file pages), beside
    today's ring alone (--rss-ring-frames: it is full at 1,000,000).
Page cache warm (files just written). Prints figures; no pass/fail. Needs pyarrow.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import mmap
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from bench_flood import Busy  # the other core kept busy, as the flood benchmark does

from inspector.logstore.frame_store import FrameStore, Query
from inspector.logstore.live_session import LiveSession
from inspector.logstore.session_store.labels import LabelTable
from inspector.logstore.session_store.layout import create_session, folder_size
from inspector.logstore.session_store.reader import SessionReader
from inspector.logstore.session_store.schema import FIXED_COLUMNS, Rows
from inspector.logstore.session_store.writer import SessionWriter
from inspector.protocol.events import IN, FrameSeen
from inspector.protocol.frames import Event, encode
from inspector.protocol.kinds import Kind

TOPICS = [f"market.t{i}" for i in range(8)]
CONNS = ["conn-1", "conn-2", "conn-3"]
CHUNK = 5000          # frames per log flush (about 50 ms at 100 k frames/s)
POOL = 50_000         # distinct frames cycled through
NEEDLE = '"i":4242'   # the free-text search: about one frame in 10,000 (case-insensitive)
FILE_BLOCK = POOL


def frame_pool(size: int) -> tuple[list[FrameSeen], np.ndarray, np.ndarray]:
    """POOL decoded EVENT frames of about ``size`` bytes on 8 topics and 3 connections, their
    topic ids and seqs."""
    frames, topic, seq = [], np.zeros(POOL, np.int32), np.zeros(POOL, np.int64)
    rng = np.random.default_rng(1)
    per_frame = max(0, (size - 90) // 14)
    prices = rng.uniform(90, 110, (POOL, per_frame)).round(2).tolist()
    sizes = rng.integers(1, 5000, (POOL, per_frame)).tolist()
    for i in range(POOL):
        ti = i % len(TOPICS)
        levels = [list(pair) for pair in zip(prices[i], sizes[i], strict=True)]  # an order book: random levels
        body: dict[str, Any] = {"i": i % 10_000, "price": i % 997 + 0.25, "levels": levels}
        ev = Event(TOPICS[ti], "message", 1_700_000_000_000 + i, body, seq=i)
        frames.append(FrameSeen(CONNS[i % 3], 1_700_000_000.0 + i * 1e-5, IN, encode(ev), ev))
        topic[i], seq[i] = ti, i
    return frames, topic, seq


def chunks(n: int) -> list[tuple[int, int]]:
    return [(a, min(a + CHUNK, n)) for a in range(0, n, CHUNK)]


def cycled(pool: list[Any], a: int, b: int) -> list[Any]:
    a, b = a % POOL, (b - 1) % POOL + 1
    if a < b:
        return pool[a:b]
    return np.concatenate([pool[a:], pool[:b]]) if isinstance(pool, np.ndarray) else pool[a:] + pool[:b]


# ---------------------------------------------------------------- (1) ingest

class Rate:
    """Frames per second of wall time and of this process's CPU time (kernel time included:
    the write calls); the CPU figure is the steadier one on a shared machine."""

    def __init__(self, wall: float, cpu: float) -> None:
        self.wall, self.cpu = wall, cpu

    @classmethod
    def start(cls) -> Rate:
        return cls(time.perf_counter(), time.process_time())

    def stop(self, n: int) -> Rate:
        return Rate(n / (time.perf_counter() - self.wall), n / max(time.process_time() - self.cpu, 1e-9))


class Ingest:
    def __init__(self, size: int, frames: int, root: Path) -> None:
        self.size, self.n, self.root = size, frames, root
        self.pool, self.topic, self.seq = frame_pool(size)
        self.raw = sum(len(f.data) for f in self.pool) / POOL

    def list_only(self) -> Rate:
        out: list[FrameSeen] = []
        t0 = Rate.start()
        for a, b in chunks(self.n):
            out.extend(cycled(self.pool, a, b))
        return t0.stop(self.n)

    def ring(self, writer: SessionWriter | None = None) -> Rate:
        ring = FrameStore(cap=1_000_000)
        topics = LabelTable()
        for name in TOPICS:
            topics.intern(name)
        t0 = Rate.start()
        for a, b in chunks(self.n):
            ring.extend(cycled(self.pool, a, b))
            if writer is not None:
                t, conn, direction, kind, data = ring.tail_columns(b - a)
                writer.append(Rows(t, conn, direction, kind, cycled(self.topic, a, b),
                                   cycled(self.seq, a, b), np.zeros(b - a, np.int8), data),
                              ring.conns, topics.names)
                writer.tick()
        if writer is not None:
            writer.close()
        return t0.stop(self.n)

    def ring_and_store(self, compression: str | None = None) -> Rate:
        folder = create_session(self.root)
        rate = self.ring(SessionWriter(folder, compression=compression))
        shutil.rmtree(folder)  # each round's session, gone before the next (GBs otherwise)
        return rate

    def store_only(self, compression: str | None = None) -> tuple[Rate, float]:
        folder = create_session(self.root)
        writer = SessionWriter(folder, compression=compression)
        cols = self.columns()
        t0 = Rate.start()
        for a, b in chunks(self.n):
            writer.append(Rows(*(cycled(c, a, b) for c in cols[:-1]), cycled(cols[-1], a, b)), CONNS, TOPICS)
        writer.close()
        rate = t0.stop(self.n)
        ratio = folder_size(folder) / (self.raw * self.n)
        shutil.rmtree(folder)
        return rate, ratio

    def columns(self) -> list[Any]:
        t = np.array([f.t for f in self.pool])
        conn = np.arange(POOL, dtype=np.uint16) % 3
        return [t, conn, np.ones(POOL, np.int8), np.full(POOL, Kind.EVENT, np.int16), self.topic, self.seq,
                np.zeros(POOL, np.int8), [f.data for f in self.pool]]


def ingest(size: int, frames: int, rounds: int, root: Path) -> None:
    bench = Ingest(size, frames, root)
    runs: dict[str, list[Rate]] = {}
    ratios: dict[str, float] = {}
    cases: dict[str, Callable[[], Rate]] = {
        "list.extend": bench.list_only,
        "ring (today)": bench.ring,
        "ring + store": bench.ring_and_store,
        "ring + store lz4": lambda: bench.ring_and_store("lz4"),
    }
    for _ in range(rounds):
        for name, run in cases.items():
            runs.setdefault(name, []).append(run())
        for comp in (None, "lz4"):
            rate, ratios[str(comp)] = bench.store_only(comp)
            runs.setdefault(f"store alone{' lz4' if comp else ''}", []).append(rate)
    ring = statistics.median(r.wall for r in runs["ring (today)"])
    ring_cpu = statistics.median(r.cpu for r in runs["ring (today)"])
    print(f"\n(1) ingest, {frames:,} frames of ~{bench.raw:.0f} B, batches of {CHUNK}, median of {rounds}")
    print(f"  {'':18s} {'wall k frames/s':>16s} {'x ring':>7s} {'CPU k frames/s':>16s} {'x ring':>7s}")
    for name, rates in runs.items():
        wall = statistics.median(r.wall for r in rates)
        cpu = statistics.median(r.cpu for r in rates)
        print(f"  {name:18s} {wall / 1e3:16.0f} {wall / ring:7.2f} {cpu / 1e3:16.0f} {cpu / ring_cpu:7.2f}")
    print(f"  disk / raw bytes: store {ratios['None']:.3f}, store lz4 {ratios['lz4']:.3f}")


# ---------------------------------------------------------------- (3) the app's ingest path

@dataclass(frozen=True)
class LiveRun:
    """One run, in microseconds per frame: wall time until the last batch was taken (``wall``:
    what the app keeps up with), wall time until every row is on disk (``to_disk``: the session
    closed, its writes thread done), the ingesting thread's own CPU time (``gui``: what the store
    costs the GUI thread) and the whole process's CPU time, kernel time and every thread included
    (``cpu``: what the store costs the machine, the writes thread and its write calls too)."""

    wall: float
    to_disk: float
    gui: float
    cpu: float
    waits: int  # times the log waited for the disk (the writes' queue full)
    own: float  # the GUI thread's CPU time inside the session's own calls (put, tick): the store's share of ``gui``
    writes: float = 0.0  # the writes thread's CPU time (its write calls' kernel time too)


class Live:
    """The app's own path: the log's ring (FrameStore.extend) with the live session attached as the
    app attaches it (LiveSession: the ring's batches handed over in its flush path, the file writes
    on their own thread, a tick per batch), against the ring alone. The frames' batches are made
    before the clock starts (the same list objects for every run)."""

    def __init__(self, size: int, frames: int, root: Path) -> None:
        self.n, self.root = frames, root
        self.pool, _, _ = frame_pool(size)
        self.raw = sum(len(f.data) for f in self.pool) / POOL
        self.batches = [cycled(self.pool, a, b) for a, b in chunks(frames)]
        self.ratio: dict[str, float] = {}

    def run(self, store: bool, keep: bool = False, compression: str | None = None, fast: str = "") -> LiveRun:
        """``fast``: "joined" writes every block's rows joined (no row of them written as it is),
        "unreserved" reserves no disk space ahead: what each of the writer's fast paths saves."""
        with without(fast):
            return self._run(store, keep, compression)

    def _run(self, store: bool, keep: bool, compression: str | None) -> LiveRun:
        ring = FrameStore(cap=1_000_000)
        live = None
        spent = [0]
        if store:
            live = LiveSession(self.root, on_error=print, writer_options={"compression": compression})
            live.attach(ring)
            live.open()  # as the app's first batch starts it: not counted in either case
            if keep:
                live.keep_from()
            ring.row_sink = cpu_counted(ring.row_sink, spent)
        tick = cpu_counted(live.tick, spent) if live is not None else None
        t0, g0, c0 = time.perf_counter(), time.thread_time(), time.process_time()
        for batch in self.batches:
            ring.extend(batch)
            if tick is not None:
                tick()
        t1, g1 = time.perf_counter(), time.thread_time()
        waits, writes = 0, 0.0
        if live is not None:
            waits = live.writes.waits if live.writes is not None else 0
            live.close()
            writes = getattr(live.writes, "cpu_seconds", float("nan"))
        t2, c2 = time.perf_counter(), time.process_time()
        if live is not None and live.folder is not None:
            self.ratio[str(compression)] = folder_size(live.folder) / (self.raw * self.n)
            shutil.rmtree(live.folder)
        us = 1e6 / self.n
        return LiveRun((t1 - t0) * us, (t2 - t0) * us, (g1 - g0) * us, (c2 - c0) * us, waits, spent[0] / 1e9 * us,
                       writes * us)


@contextlib.contextmanager
def without(fast: str) -> Any:
    """The writer without one of its fast paths ("joined", "unreserved"; "": as it is)."""
    from inspector.logstore.session_store import reserve, writer
    module, name, off = {"joined": (writer, "SCATTER_ROW_BYTES", 1 << 62),
                         "unreserved": (reserve, "MIN_AHEAD", 1 << 62)}.get(fast, (None, "", 0))
    if module is None:
        yield
        return
    before = getattr(module, name)
    setattr(module, name, off)
    try:
        yield
    finally:
        setattr(module, name, before)


def cpu_counted(fn: Any, spent: list[int]) -> Any:
    """``fn``, adding the calling thread's CPU nanoseconds in it to ``spent[0]``."""
    def call(*args: Any) -> Any:
        t = time.thread_time_ns()
        try:
            return fn(*args)
        finally:
            spent[0] += time.thread_time_ns() - t
    return call


def spread(values: list[float]) -> str:
    """Median [lower quartile - upper quartile] of ``values``."""
    q = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else [values[0]] * 3
    return f"{q[1]:6.3f} [{q[0]:5.3f}-{q[2]:5.3f}]"


def live_ingest(size: int, frames: int, rounds: int, root: Path, busy: bool) -> dict[str, list[LiveRun]]:
    """Many short rounds, every case once a round in a turning order, each compared with the ring's
    run of the same round (a drifting machine weighs on both sides of each ratio alike); medians
    and quartiles of those ratios, so the spread says what difference the figures can resolve."""
    bench = Live(size, frames, root)
    cases: dict[str, Callable[[], LiveRun]] = {
        "ring (today)": lambda: bench.run(False),
        "ring + store": lambda: bench.run(True),
        "ring + store, keeping": lambda: bench.run(True, keep=True),
        "ring + store lz4": lambda: bench.run(True, compression="lz4"),
        "ring + store, joined": lambda: bench.run(True, fast="joined"),
        "ring + store, unreserved": lambda: bench.run(True, fast="unreserved"),
    }
    runs: dict[str, list[LiveRun]] = {name: [] for name in cases}
    bench.run(True)  # warm: pyarrow loaded, the first session's folder made
    spinner = Busy() if busy else None
    load = os.getloadavg()[0]
    try:
        for r in range(rounds):
            names = list(cases)
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order if r % 2 == 0 else reversed(order):
                runs[name].append(cases[name]())
    finally:
        if spinner is not None:
            spinner.close()
    print(f"\n(3) the app's ingest path, {frames:,} frames of ~{bench.raw:.0f} B, batches of {CHUNK}, {rounds} rounds"
          f"{', the other core busy' if busy else ''}; load average {load:.2f} -> {os.getloadavg()[0]:.2f}")
    print("  median [quartiles] of each round's ratio to the ring's run of that round (rates: 1.0 = as fast);")
    print("  wall: ingest rate; to disk: counting the wait until every row is on disk; GUI CPU: the ingesting")
    print("  thread's CPU time; and what the store adds per frame, in us: on the GUI thread, in the whole process")
    print(f"  {'':24s} {'wall x ring':>22s} {'to disk x ring':>22s} {'GUI CPU x ring':>22s}"
          f" {'+GUI us/frame':>22s} {'+process us/frame':>22s} waits")
    ring = runs["ring (today)"]
    for name, got in runs.items():
        cells = [spread([a.wall / b.wall for a, b in zip(ring, got, strict=True)]),
                 spread([a.wall / b.to_disk for a, b in zip(ring, got, strict=True)]),
                 spread([a.gui / b.gui for a, b in zip(ring, got, strict=True)]),
                 spread([b.gui - a.gui for a, b in zip(ring, got, strict=True)]),
                 spread([b.cpu - a.cpu for a, b in zip(ring, got, strict=True)])]
        print(f"  {name:24s} " + " ".join(f"{c:>22s}" for c in cells) + f" {sum(r.waits for r in got):5d}")
    print(f"  ring alone, us/frame: wall {spread([r.wall for r in ring])}, GUI CPU {spread([r.gui for r in ring])}")
    print("  the GUI thread's CPU time inside the session's own calls (put, tick), us/frame, and as a share of the")
    print("  ring's GUI CPU time of the same round (the steadiest figure: what ingest gives up to the store, short")
    print("  of waiting for the GIL or the disk):")
    for name, got in list(runs.items())[1:]:
        print(f"  {name:24s} {spread([b.own for b in got])} us/frame,"
              f"{spread([b.own / a.gui for a, b in zip(ring, got, strict=True)])} of the ring's")
    print("  the writes thread's CPU time (joining the rows' bytes, the write calls in the kernel), us/frame, and as a")
    print("  share of the ring's GUI CPU time of the same round (with no idle core, ingest gives up about that much):")
    for name, got in list(runs.items())[1:]:
        print(f"  {name:24s} {spread([b.writes for b in got])} us/frame,"
              f"{spread([b.writes / a.gui for a, b in zip(ring, got, strict=True)])} of the ring's")
    store, keeping = runs["ring + store"], runs["ring + store, keeping"]
    print("  the writer's fast paths: the writes thread's and the whole process's CPU time without each, less with")
    print("  it, round by round, us/frame (> 0: the fast path saves that much; rows of 256 B or more on average are")
    print("  written as they are, not joined; the data file's disk space reserved ahead):")
    for name, fast in (("rows joined", "ring + store, joined"), ("nothing reserved", "ring + store, unreserved")):
        saved = [b.writes - a.writes for a, b in zip(store, runs[fast], strict=True)]
        whole = [b.cpu - a.cpu for a, b in zip(store, runs[fast], strict=True)]
        print(f"  {name:24s} writes thread {spread(saved)}, whole process {spread(whole)}")
    print("  keeping (what pressing Keep costs): CPU time per frame of the same store not keeping and keeping, and")
    print("  their difference round by round as a share of the ring's GUI CPU time (the target: at most 0.03):")
    print(f"  {'us/frame':24s} {'not keeping':>22s} {'keeping':>22s} {'difference':>22s} {'x the ring':>22s}")
    for label, get in (("GUI thread", lambda r: r.gui), ("session's own calls", lambda r: r.own),
                       ("writes thread", lambda r: r.writes), ("whole process", lambda r: r.cpu)):
        diff = [get(b) - get(a) for a, b in zip(store, keeping, strict=True)]
        print(f"  {label:24s} {spread([get(a) for a in store]):>22s} {spread([get(b) for b in keeping]):>22s} "
              f"{spread(diff):>22s} {spread([d / r.gui for d, r in zip(diff, ring, strict=True)]):>22s}")
    walls = spread([a.wall / b.wall for a, b in zip(store, keeping, strict=True)])
    print(f"  wall, keeping against not keeping: {walls} (rates: 1.0 = as fast)")
    print(f"  disk / raw bytes: store {bench.ratio['None']:.3f}, store lz4 {bench.ratio['lz4']:.3f}")
    return runs


# ---------------------------------------------------------------- (4) disk

def disk(sizes: tuple[int, ...], frames: int, root: Path) -> None:
    """Bytes on disk against the raw frame bytes, written by the app's path, and what the rest is."""
    from inspector.logstore.session_store.block_index import ENTRY_SIZE
    from inspector.logstore.session_store.layout import DATA_FILE, INDEX_FILE
    from inspector.logstore.session_store.schema import SCHEMA
    fixed = sum(np.dtype(dtype).itemsize for _, dtype in FIXED_COLUMNS)
    print(f"\n(4) disk, {frames:,} frames through the live session; per row: {fixed} B of fixed columns "
          f"(time, connection, direction, kind, topic, seq, size, gap, flags), 4 B of data offset; "
          f"{ENTRY_SIZE} B of index per block")
    print(f"  {'frames':14s} {'compression':11s} {'disk/raw':>8s} {'raw':>7s} {'fixed':>7s} {'offsets':>7s} "
          f"{'batch headers':>13s} {'index':>7s} {'other':>7s}   (share of the raw bytes)")
    for size in sizes:
        bench = Live(size, frames, root)
        for compression in (None, "lz4"):
            ring = FrameStore(cap=1_000_000)
            live = LiveSession(root, on_error=print, writer_options={"compression": compression})
            live.attach(ring)
            for a, b in chunks(frames):
                ring.extend(cycled(bench.pool, a, b))
                live.tick()
            live.close()
            folder = live.folder
            assert folder is not None
            raw = sum(len(f.data) for f in cycled(bench.pool, 0, POOL)) * frames / POOL
            data = (folder / DATA_FILE).stat().st_size
            index = (folder / INDEX_FILE).stat().st_size
            other = folder_size(folder) - data - index
            blocks = (index - 8) // ENTRY_SIZE
            cells = [folder_size(folder) / raw, 1.0]
            if compression is None:  # the parts of the data file, each as a share of the raw bytes
                headers = data - raw - (fixed + 4) * frames - SCHEMA.serialize().size
                cells += [fixed * frames / raw, 4 * frames / raw, headers / raw]
                parts = " ".join(f"{c:7.3f}" for c in cells[1:]) + f" {'':6s}"
            else:
                parts = f"{'(compressed: ' + format(data / raw, '.3f') + ' in all)':>37s}"
            print(f"  ~{bench.raw:5.0f} B x {frames // 1000:,}k {compression or 'none':11s} {cells[0]:8.3f} {parts}"
                  f" {index / raw:7.4f} {other / raw:7.4f}   ({blocks} blocks)")
            shutil.rmtree(folder)


# ---------------------------------------------------------------- (5) memory

RSS_POOL = 10_000  # distinct frames, each fed as bytes of its own

RSS_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
from bench_store import rss_feed
print(json.dumps(rss_feed(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "store", sys.argv[5])))
"""


def encoded_pool(size: int) -> list[bytes]:
    """RSS_POOL encoded EVENTs of about ``size`` bytes on 8 topics (bytes only: no decoded
    bodies held, as the app holds none)."""
    rng = np.random.default_rng(2)
    per_frame = max(0, (size - 90) // 14)
    out = []
    for i in range(RSS_POOL):
        levels = rng.uniform(90, 110, (per_frame, 2)).round(2).tolist()
        body = {"i": i, "price": i % 997 + 0.25, "levels": levels}
        out.append(encode(Event(TOPICS[i % 8], "message", 1_700_000_000_000 + i, body, seq=i)))
    return out


def rss_now() -> dict[str, float]:
    """This process's resident memory in MB: all of it, anonymous (heap) and file pages (mapped files)."""
    with open("/proc/self/status") as f:
        return {k: int(v.split()[0]) / 1024 for k, v in (line.split(":", 1) for line in f)
                if k in ("VmRSS", "RssAnon", "RssFile")}


def rss_feed(size: int, n: int, backed: bool, folder: str) -> dict[str, Any]:
    """``n`` EVENTs of ~``size`` B through the log's ring, backed by a live session's store as the
    app backs it (LiveSession, LogRows bounding the ring, a tick and a maintain per batch) or
    not; RSS after every batch."""
    from inspector.logstore.log_rows import LogRows

    pool = encoded_pool(size)
    ring = FrameStore(cap=1_000_000)
    live, rows = None, None
    if backed:
        live = LiveSession(folder, on_error=lambda text: print(text, file=sys.stderr))
        live.attach(ring)
        rows = LogRows(ring)
        rows.attach_live(live)
    start = rss_now()
    samples: list[dict[str, float]] = []
    t0 = time.perf_counter()
    for a, b in chunks(n):
        # each frame its own bytes, as off the network (a shared object would hide what the ring holds)
        ring.extend([FrameSeen(CONNS[i % 3], 1_700_000_000.0 + i * 1e-5, IN,
                               pool[i % RSS_POOL][:1] + pool[i % RSS_POOL][1:]) for i in range(a, b)])
        if live is not None and rows is not None:
            live.tick()
            rows.maintain()
        samples.append(rss_now())
    seconds = time.perf_counter() - t0
    writes = live.writes if live is not None else None
    if live is not None and rows is not None:
        live.close()
        rows.maintain(now=True)
    half = samples[len(samples) // 2:]
    return {"start": start["VmRSS"], "peak": max(r["VmRSS"] for r in samples),
            "peak_anon": max(r["RssAnon"] for r in samples), "peak_file": max(r["RssFile"] for r in samples),
            "steady": statistics.median(r["VmRSS"] for r in half),
            "steady_anon": statistics.median(r["RssAnon"] for r in half),
            "tenth": samples[len(samples) // 10]["VmRSS"], "end": samples[-1]["VmRSS"],
            "rate": n / seconds, "ring_rows": len(ring), "ring_bytes": ring.data_bytes(),
            "rows": len(rows) if rows is not None else len(ring), "raw": sum(map(len, pool)) / RSS_POOL,
            "queued": writes.peak_bytes if writes is not None else 0}


def memory(sizes: tuple[int, ...], frames: int, ring_frames: int, root: Path) -> None:
    """A long live session's RSS, each run in a child of its own (a fresh heap), beside today's
    ring alone (1,000,000 rows of bytes: full once it has taken a million)."""
    print(f"\n(5) memory: {frames:,} EVENTs through the ring backed by the live session's store (as the app: "
          f"LiveSession + LogRows), beside today's ring alone ({ring_frames:,} frames); RSS in MB, sampled after every"
          f" batch of {CHUNK}; load average {os.getloadavg()[0]:.2f}")
    print(f"  {'':32s} {'start':>6s} {'peak':>6s} {'anon':>6s} {'file':>6s} {'at 1/10':>8s} {'steady':>7s} "
          f"{'s. anon':>7s} {'end':>6s} {'k fr/s':>7s} {'rows shown':>11s} {'ring rows':>10s} {'ring MB':>8s}")
    here = str(Path(__file__).resolve().parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(here).parent), os.environ.get("PYTHONPATH", "")]))
    for size in sizes:
        for how, n in (("store", frames), ("ring", ring_frames)):
            folder = root / f"rss-{how}-{size}"
            folder.mkdir()
            out = subprocess.run([sys.executable, "-c", RSS_CHILD, here, str(size), str(n), how, str(folder)],
                                 capture_output=True, text=True, env=env, check=False)
            shutil.rmtree(folder, ignore_errors=True)
            if out.returncode or not out.stdout.strip():
                print(f"  {how} {size} B: failed: {out.stderr.strip()[-300:]}")
                continue
            r = json.loads(out.stdout)
            name = (f"~{r['raw']:.0f} B, " + ("ring + store + LogRows" if how == "store" else "today: ring alone"))
            print(f"  {name:32s} {r['start']:6.0f} {r['peak']:6.0f} {r['peak_anon']:6.0f} {r['peak_file']:6.0f} "
                  f"{r['tenth']:8.0f} {r['steady']:7.0f} {r['steady_anon']:7.0f} {r['end']:6.0f} "
                  f"{r['rate'] / 1e3:7.0f} {r['rows']:11,} {r['ring_rows']:10,} {r['ring_bytes'] / 2**20:8.0f}"
                  + (f"  (writes queued at most {r['queued'] / 2**20:.0f} MB)" if how == "store" else ""))
    print("  start: before the first frame (Python, numpy, the frames' pool); anon: the heap; file: mapped files")
    print("  (the session's blocks, read back as LogRows sees them); steady: median over the second half")


# ---------------------------------------------------------------- (2) format

class HandMade:
    """The alternative: one file per fixed column, the bytes in one file, their end offsets in another."""

    NAMES: ClassVar[list[str]] = [name for name, _ in FIXED_COLUMNS]

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir()

    def write(self, parts: list[list[Any]]) -> None:
        with contextlib.ExitStack() as stack:
            files = {name: stack.enter_context(open(self.folder / name, "wb", buffering=0))
                     for name in [*self.NAMES, "ends", "data"]}
            self._write(files, parts)

    def _write(self, files: dict[str, Any], parts: list[list[Any]]) -> None:
        end = 0
        for part in parts:
            data = part[-1]
            sizes = np.fromiter(map(len, data), np.int32, len(data))
            cols = [*part[:6], sizes, np.zeros(len(data), np.int64), part[6]]  # gap: none
            for name, col, (_, dtype) in zip(self.NAMES, cols, FIXED_COLUMNS, strict=True):
                files[name].write(np.asarray(col, dtype).tobytes())
            ends = np.cumsum(sizes, dtype=np.int64) + end
            end = int(ends[-1])
            files["ends"].write(ends.tobytes())
            files["data"].write(b"".join(data))

    def open(self) -> dict[str, np.ndarray]:
        cols = {name: np.memmap(self.folder / name, dtype, "r") for name, dtype in FIXED_COLUMNS}
        cols["ends"] = np.memmap(self.folder / "ends", np.int64, "r")
        n = min(len(c) for c in cols.values())  # a torn tail: the shortest column
        return {k: v[:n] for k, v in cols.items()}

    def rows(self, cols: dict[str, np.ndarray], data: mmap.mmap, a: int, b: int) -> list[tuple[Any, ...]]:
        out = []
        for i in range(a, b):
            lo = int(cols["ends"][i - 1]) if i else 0
            out.append((*(cols[name][i].item() for name in self.NAMES), data[lo:int(cols["ends"][i])]))
        return out

    def first_rows(self, data: mmap.mmap) -> dict[str, np.ndarray]:
        cols = self.open()
        self.rows(cols, data, 0, 100)
        return cols

    def search(self, cols: dict[str, np.ndarray], data: mmap.mmap, needle: bytes, exact: bool = False) -> np.ndarray:
        if exact:
            hits, at = [], data.find(needle)
            while at >= 0:
                hits.append(at)
                at = data.find(needle, at + 1)
        else:
            hits = [m.start() for m in re.finditer(re.escape(needle), data, re.IGNORECASE)]
        return np.unique(np.searchsorted(cols["ends"], np.array(hits, np.int64), side="right"))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def file_parts(n: int) -> list[list[Any]]:
    """``n`` rows as column parts of FILE_BLOCK rows (~100 B frames on 8 topics, 3 connections)."""
    bench = Ingest(100, 0, Path())
    cols = bench.columns()
    parts = []
    for a in range(0, n, FILE_BLOCK):
        b = min(a + FILE_BLOCK, n)
        part = [cycled(c, a, b) for c in cols]
        part[0] = 1_700_000_000.0 + np.arange(a, b) * 1e-5  # time and seq keep growing
        part[5] = np.arange(a, b, dtype=np.int64)
        parts.append(part)
    return parts


def formats(n: int, root: Path) -> dict[str, float]:
    parts = file_parts(n)
    raw = sum(sum(map(len, p[-1])) for p in parts)
    print(f"\n(2) file format, {n:,} frames, {raw / n:.0f} B raw each ({raw / 2**30:.2f} GiB raw)")
    figures = arrow_figures(parts, n, raw, root)
    figures.update(hand_figures(parts, n, raw, root))
    return figures


def arrow_figures(parts: list[list[Any]], n: int, raw: int, root: Path) -> dict[str, float]:
    folder = create_session(root)
    writer = SessionWriter(folder)

    def write() -> None:
        for p in parts:
            writer.append(Rows(*p[:-1], p[-1]), CONNS, TOPICS)
        writer.close()

    secs, _ = timed(write)
    figures = {"arrow_write": n / secs, "arrow_ratio": folder_size(folder) / raw}
    figures["arrow_first"], reader = timed(lambda: first_rows(SessionReader(folder)))
    figures["arrow_last"], _ = timed(lambda: SessionReader(folder).rows(n - 100, n))
    figures["arrow_topic"], hits = timed(lambda: reader.match(reader.where(topic=TOPICS[3])))
    figures["arrow_kind"], _ = timed(lambda: reader.match(reader.where(kind=Kind.EVENT)))
    figures["arrow_conn"], _ = timed(lambda: reader.match(reader.where(conn=CONNS[1])))
    figures["arrow_search"], found = timed(lambda: reader.match(reader.where(text=NEEDLE)))
    figures["arrow_search_cs"], _ = timed(lambda: reader.match(reader.where(text=NEEDLE, ignore_case=False)))
    print(f"  arrow: {len(reader):,} rows in {len(reader.blocks)} blocks, {len(hits):,} on one topic, "
          f"{len(found):,} match {NEEDLE!r}; after the scans {rss()}")
    reader.close()
    shutil.rmtree(folder)
    return figures


def rss() -> str:
    """This process's resident memory: anonymous (the heap) and file pages (the mapped session)."""
    with open("/proc/self/status") as f:
        fields = dict(line.split(":", 1) for line in f if line.startswith(("VmRSS", "RssAnon", "RssFile")))
    return ", ".join(f"{k} {int(v.split()[0]) / 1024:.0f} MB" for k, v in fields.items())


def first_rows(reader: SessionReader) -> SessionReader:
    reader.rows(0, 100)
    return reader


def hand_figures(parts: list[list[Any]], n: int, raw: int, root: Path) -> dict[str, float]:
    hand = HandMade(root / "handmade")
    secs, _ = timed(lambda: hand.write(parts))
    figures = {"hand_write": n / secs, "hand_ratio": folder_size(hand.folder) / raw}
    with open(hand.folder / "data", "rb") as f:
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    figures["hand_first"], cols = timed(lambda: hand.first_rows(data))
    figures["hand_last"], _ = timed(lambda: hand.rows(hand.open(), data, n - 100, n))
    figures["hand_topic"], _ = timed(lambda: np.flatnonzero(cols["topic"] == 3))
    figures["hand_kind"], _ = timed(lambda: np.flatnonzero(cols["kind"] == Kind.EVENT))
    figures["hand_conn"], _ = timed(lambda: np.flatnonzero(cols["conn"] == 1))
    figures["hand_search"], found = timed(lambda: hand.search(cols, data, NEEDLE.encode()))
    figures["hand_search_cs"], _ = timed(lambda: hand.search(cols, data, NEEDLE.encode(), exact=True))
    print(f"  hand-made: {len(found):,} rows match {NEEDLE!r}")
    cols.clear()
    data.close()
    shutil.rmtree(hand.folder)
    return figures


def today(rirec_frames: int, root: Path) -> dict[str, float]:
    """Today's path: a .rirec recording opened as the app does (prepare, then the ring), the ring's
    own filters and search."""
    from inspector.logstore.recording_source import prepare
    from inspector.recording.writer import RecordingWriter

    pool, _, _ = frame_pool(100)
    path = root / "today.rirec"
    with RecordingWriter(path, background_flush=False) as w:
        for i in range(rirec_frames):
            w.write_event(pool[i % POOL])
    figures: dict[str, float] = {}
    ring = FrameStore(cap=1_000_000)

    def open_rirec() -> None:
        prepared = prepare(path)
        ring.extend_rows(*prepared.frames.store_args())

    figures["rirec_last"], _ = timed(open_rirec)
    figures["ring_topic"], _ = timed(lambda: ring.match(Query(topic=TOPICS[3])))
    figures["ring_kind"], _ = timed(lambda: ring.match(Query(kinds=frozenset({Kind.EVENT}))))
    figures["ring_conn"], _ = timed(lambda: ring.match(Query(conn=CONNS[1])))
    figures["ring_search"], _ = timed(lambda: ring.match(Query(text=NEEDLE)))
    figures["ring_rows"] = len(ring)
    path.unlink()
    return figures


def report(f: dict[str, float], n: int, rirec_frames: int) -> None:
    ring_rows = int(f["ring_rows"])
    print(f"\n  {'figure':38s} {'arrow store':>12s} {'hand-made':>12s}   today ({rirec_frames:,}-frame .rirec, "
          f"{ring_rows:,}-row ring)")
    lines = [
        ("write, frames/s", "write", "{:12,.0f}", None),
        ("disk / raw bytes", "ratio", "{:12.3f}", None),
        (f"open + first 100 rows of {n:,}, s", "first", "{:12.3f}", None),
        (f"open + last 100 rows of {n:,}, s", "last", "{:12.3f}", "rirec_last"),
        ("filter by topic, s", "topic", "{:12.3f}", "ring_topic"),
        ("filter by kind, s", "kind", "{:12.3f}", "ring_kind"),
        ("filter by connection, s", "conn", "{:12.3f}", "ring_conn"),
        ("search text, any case, s", "search", "{:12.3f}", "ring_search"),
        ("search text, exact case, s", "search_cs", "{:12.3f}", None),
    ]
    for label, key, fmt, base in lines:
        beside = f"{f[base]:10.3f}" if base else "         -"
        print(f"  {label:38s} {fmt.format(f['arrow_' + key])} {fmt.format(f['hand_' + key])}   {beside}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--frames", type=int, default=10_000_000, help="rows in the format comparison's files")
    ap.add_argument("--rirec-frames", type=int, default=1_000_000, help="frames in today's recording")
    ap.add_argument("--ingest-frames", type=int, default=1_000_000,
                    help="frames per ingest run (a quarter of it for 1 KB frames)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--live-frames", type=int, default=400_000,
                    help="(3) frames per run (a quarter of it for 1 KB frames)")
    ap.add_argument("--live-rounds", type=int, default=12, help="(3) rounds")
    ap.add_argument("--busy", action="store_true", help="(3) also with the other core kept busy")
    ap.add_argument("--rss-frames", type=int, default=10_000_000, help="(5) frames of the long live session")
    ap.add_argument("--rss-ring-frames", type=int, default=1_200_000, help="(5) frames through today's ring alone")
    ap.add_argument("--only", choices=["ingest", "live", "disk", "formats", "rss"],
                    help="one part: (1) ingest, (3) the app's ingest path, (4) disk, (2) the formats, or (5) memory")
    args = ap.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="bench-store-"))
    try:
        if args.only in (None, "ingest"):
            ingest(100, args.ingest_frames, args.rounds, root)
            ingest(1000, args.ingest_frames // 4, args.rounds, root)  # the same time on disk as the small frames
        if args.only in (None, "live"):
            for size, n in ((100, args.live_frames), (1000, args.live_frames // 4)):
                for busy in (False, True) if args.busy else (False,):
                    live_ingest(size, n, args.live_rounds, root, busy)
        if args.only in (None, "disk"):
            disk((100, 1000), args.ingest_frames // 2, root)
        if args.only in (None, "rss"):
            memory((1000, 100), args.rss_frames, args.rss_ring_frames, root)
        if args.only in (None, "formats"):
            figures = formats(args.frames, root)
            figures.update(today(min(args.rirec_frames, args.frames), root))
            report(figures, args.frames, min(args.rirec_frames, args.frames))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
