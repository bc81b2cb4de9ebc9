"""The log over the session store, beside today's ring, measured in one run.

    .venv/bin/python bench/bench_store_view.py [--frames 10000000] [--ring-frames 1000000]
        [--live-frames 10000000] [--live-frames-1k 10000000] [--rounds 3]
        [--app-rss-frames 10000000] [--only open|live|app-rss] [--open-ways launch,window]
        [--against DIR] [--no-rirec]

(1) Open: a --frames-row session folder (EVENT frames of ~100 B) opened by the real app, two
    ways (--open-ways): "launch", ``realtime-inspector FOLDER --self-test`` in a subprocess; and
    "window", File > Open in a window that is up and idle (the app started without a file, then
    the folder opened as the Open dialog opens it, timed by the same self-test). Each: its wall
    time from outside and its peak RSS, and what the self-test says from inside (first rows
    painted and last row shown, seconds after the open started; event-loop lag p99 and worst;
    the most CPU time the GUI thread spent between two of the self-test's looks, which a loaded
    machine stretches far less than wall time). --against DIR runs another checkout's app (its
    ``inspector`` package) in the same rotation, alternating with this one. Beside it today's
    ring path: the same folder loaded whole into a FrameStore as the app did before
    (``recording_source.prepare_store`` + ``extend_rows``, in a subprocess), and a
    --ring-frames .rirec recording of the same frames opened by the app (recordings still
    take that path).
(2) A long live session: --live-frames EVENTs of ~100 B and --live-frames-1k of ~1 KB fed
    in the log's batches through today's ring alone (FrameStore, 1,000,000 rows) and through
    the ring backed by a live session's store (FrameStore + LiveSession writing a real
    folder + LogRows bounding the ring, as the app does), each in a subprocess: ingest rate,
    the rate counting the wait for every row to be on disk (the session closed), peak and final
    RSS, the ring's rows and bytes at the end; the most bytes ever queued for the writes' thread
    and how often the log waited for the disk.
(3) The app's memory in a long live session (--only app-rss): the real window (MainWindow with
    its LogPanel, offscreen) and its LiveStore writing the session folder, as the app runs them,
    in a child of its own; --app-rss-frames EVENTs of ~1 KB (each its own bytes) handed to the
    log in a connection's batches (its batch sink, ``LogPanel.ingest_frames``), the event loop
    running between batches (the log's flushes and slices, the store's ticks, the table's
    paints), the next batch handed over once the log has taken the last: peak and final RSS
    (heap and mapped pages), the rows the log shows, the rate. The folder (gigabytes) is
    removed after.
Prints figures and ratios; no pass/fail. Page cache warm (files just written). Needs pyarrow.
The app runs as installed, with its .pyc files: PYTHONDONTWRITEBYTECODE is dropped for it and
one warm-up open is not counted (as bench_startup does); compiling a module holds the GIL for
as long as it takes, which an open's worker thread would otherwise do while the window paints.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from inspector.protocol.events import IN, FrameSeen
from inspector.protocol.frames import Event, encode

POOL = 10_000
BATCH = 5000        # frames per log flush
TOPICS = [f"market.t{i}" for i in range(8)]
CONNS = ["conn-1", "conn-2", "conn-3"]
T0 = 1_700_000_000.0
REPO = Path(__file__).resolve().parent.parent


def pool(size: int) -> list[bytes]:
    """POOL encoded EVENT frames of about ``size`` bytes on 8 topics."""
    out = []
    for i in range(POOL):
        body = {"i": i, "price": i % 997 + 0.25, "pad": "x" * max(0, size - 90)}
        out.append(encode(Event(TOPICS[i % 8], "message", 1_700_000_000_000 + i, body, seq=i // 8)))
    return out


def write_store(root: Path, n: int) -> Path:
    from inspector.logstore.session_store.layout import create_session  # pyarrow: not in the live children's RSS
    from inspector.logstore.session_store.schema import Rows
    from inspector.logstore.session_store.writer import SessionWriter
    frames = pool(100)
    folder = create_session(root)
    with SessionWriter(folder) as w:
        for a in range(0, n, 65536):
            i = np.arange(a, min(n, a + 65536))
            w.append(Rows(t=T0 + i * 1e-5, conn=i % 3, direction=np.ones(len(i), np.int8),
                          kind=np.full(len(i), 16, np.int16), topic=1 + i % 8, seq=i // 8,
                          flags=np.full(len(i), 4, np.int8), data=[frames[j] for j in (i % POOL).tolist()]),
                     CONNS, ["", *TOPICS])
            w.flush()
    return folder


def write_rirec(path: Path, n: int) -> Path:
    from inspector.recording import RecordingWriter
    frames = pool(100)
    with RecordingWriter(path, created=T0) as w:
        for i in range(n):
            w.write_event(FrameSeen(CONNS[i % 3], T0 + i * 1e-5, IN, frames[i % POOL]))
    return path


def child(args: list[str], env: dict[str, str]) -> tuple[float, float, str, int]:
    """(wall seconds, peak RSS in MB, stdout, exit status) of a subprocess run to its end."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=REPO)
    out = proc.stdout.read() if proc.stdout is not None else ""
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, out, status


OPEN_IN_WINDOW = """
import asyncio, sys, time
from PySide6.QtWidgets import QApplication
from inspector.lazy_module import load_now
from inspector.qt import app as appmod

qapp = QApplication([sys.argv[0], "-style", appmod.STYLE])
appmod.install_on_root()
appmod.apply_style(qapp)
qapp.setQuitOnLastWindowClosed(False)
shown = appmod.show_window(appmod.AppOptions(self_test=True))

async def run():
    from inspector.qt.live_store import LiveStore
    from inspector.qt.open_self_test import run_open_self_test
    loop = asyncio.get_running_loop()
    window = shown.window
    appmod.load_profiles(window.store)
    window.build_rest()
    load_now()
    window.closed = loop.create_future()
    live = LiveStore(window, shown.scratch.name, None)
    appmod._finish_start(window)
    await asyncio.sleep(1.0)  # the window up and idle, as before a user's File > Open
    start = time.perf_counter()
    window.open_file(sys.argv[1])  # what the Open dialog does with the file chosen
    code = await run_open_self_test(window, 60, start)
    window.close()
    await window.closed
    live.close()
    return code

try:
    code = appmod._run_loop(qapp, run())
finally:
    shown.close()
sys.exit(code)
"""


def app_open(path: Path, scratch: Path, how: str = "launch", tree: Path = REPO) -> dict[str, Any]:
    """One open of ``path`` by the app of checkout ``tree``: "launch" (FILE --self-test) or "window"
    (File > Open in a running window)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(scratch / "config"),
               XDG_DATA_HOME=str(scratch / "data"), PYTHONPATH=str(tree))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed app has its .pyc files (see the warm-up run)
    args = ([sys.executable, "-m", "inspector", str(path), "--self-test"] if how == "launch"
            else [sys.executable, "-c", OPEN_IN_WINDOW, str(path)])
    wall, peak, out, status = child(args, env)
    found = re.search(r"first rows painted ([\d.]+) s, last row shown ([\d.]+) s, event-loop lag p99 (\d+) ms, "
                      r"worst (\d+) ms", out)
    figures = [float(x) for x in found.groups()] if found else [float("nan")] * 4
    cpu = re.search(r"GUI thread's CPU between two looks at most (\d+) ms", out)
    return {"ok": status == 0 and "self-test: opened" in out, "wall": wall, "rss": peak,
            "first": figures[0], "last": figures[1], "p99": figures[2], "worst": figures[3],
            "cpu": float(cpu.group(1)) if cpu else float("nan")}


LOAD_INTO_RING = """
import json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from inspector.logstore.frame_store import FrameStore
from inspector.logstore.recording_source import prepare_store
rec = prepare_store(Path(sys.argv[1]))
ring = FrameStore(max(1_000_000, rec.frame_count))
ring.extend_rows(*rec.frames.store_args())
print(json.dumps({"seconds": time.perf_counter() - t0, "rows": len(ring)}))
"""


def open_figures(n: int, ring_frames: int, rounds: int, root: Path, ways: list[str] | None = None,
                 against: Path | None = None, rirec_too: bool = True) -> None:
    ways = ways or ["launch", "window"]
    folder = write_store(root / "store", n)
    rirec = write_rirec(root / "today.rirec", ring_frames) if rirec_too else None
    trees = [("", REPO)] + ([(f" [{against.name}]", against)] if against is not None else [])
    store_runs: dict[tuple[str, str], list[dict[str, Any]]] = {(way, label): [] for way in ways for label, _ in trees}
    rirec_runs = []
    for _, tree in trees:  # warm-up, not counted: the page cache, and the .pyc files written
        app_open(folder, root, tree=tree)
    for k in range(rounds):
        for way in ways:
            for label, tree in trees if k % 2 == 0 else trees[::-1]:  # alternating: a drifting load weighs on both
                store_runs[way, label].append(app_open(folder, root, way, tree))
        if rirec is not None:
            rirec_runs.append(app_open(rirec, root))
    wall, peak, out, _ = child([sys.executable, "-c", LOAD_INTO_RING, str(folder)],
                               env=dict(os.environ, PYTHONPATH=str(REPO)))
    loaded = json.loads(out) if out.strip().startswith("{") else {"seconds": float("nan"), "rows": 0}
    print(f"\n(1) open, {n:,}-frame session folder (~100 B frames) vs today's ring; {rounds} rounds, load "
          f"{os.getloadavg()[0]:.2f}")
    print(f"  {'':52s} {'wall s':>7s} {'first paint s':>14s} {'last row s':>11s} {'lag p99 ms':>11s} "
          f"{'worst ms':>9s} {'GUI CPU ms':>10s} {'peak RSS MB':>12s}")
    names = {"launch": "store folder, launched with it", "window": "store folder, File > Open in a window"}
    rows = [(f"{names[way]}{label} ({n:,})", runs) for (way, label), runs in store_runs.items()]
    rows.append((f"today: .rirec, launched with it ({ring_frames:,})", rirec_runs))
    for name, runs in rows:
        for r in runs:
            flag = "" if r["ok"] else "  (failed or timed out)"
            print(f"  {name:52s} {r['wall']:7.2f} {r['first']:14.3f} {r['last']:11.3f} {r['p99']:11.0f} "
                  f"{r['worst']:9.0f} {r['cpu']:10.0f} {r['rss']:12.0f}{flag}")
    print(f"  {'today: folder loaded into the ring (' + format(n, ',') + ')':52s} {wall:7.2f} "
          f"{'':14s} {loaded['seconds']:11.3f} {'':11s} {'':9s} {'':10s} {peak:12.0f}")
    print("  GUI CPU: the most CPU time the GUI thread spent between two of the self-test's looks (5 ms apart)")
    mid = statistics.median(r["last"] for r in store_runs[ways[0], ""])
    print(f"  last row: store {mid:.3f} s for {n:,} frames; today's ring {loaded['seconds']:.2f} s "
          f"({loaded['seconds'] / mid:.0f}x)" + (f"; .rirec {statistics.median(r['last'] for r in rirec_runs):.2f} s "
                                                  f"for {ring_frames:,}" if rirec_runs else ""))
    shutil.rmtree(folder)


LIVE = """
import json, sys, time
from inspector.logstore.frame_store import FrameStore
from inspector.protocol.events import IN, FrameSeen
sys.path.insert(0, sys.argv[4])
from bench_store_view import pool, BATCH, CONNS, T0
n, size, backed = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "store"
frames = pool(size)
ring = FrameStore(1_000_000)
if backed:
    from inspector.logstore.live_session import LiveSession
    from inspector.logstore.log_rows import LogRows
    live = LiveSession(sys.argv[5], on_error=lambda text: print(text, file=sys.stderr))
    live.attach(ring)
    rows = LogRows(ring)
    rows.attach_live(live)
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024
t0 = time.perf_counter()
peak = 0
for a in range(0, n, BATCH):
    # each frame its own bytes, as off the network (a shared object would hide what the ring holds)
    ring.extend([FrameSeen(CONNS[i % 3], T0 + i * 1e-5, IN, frames[i % len(frames)][:1] + frames[i % len(frames)][1:])
                 for i in range(a, min(a + BATCH, n))])
    if backed:
        live.tick()
        rows.maintain()
    if a % (BATCH * 100) == 0:
        peak = max(peak, rss())
seconds = time.perf_counter() - t0
if backed:
    live.close()
    rows.maintain(now=True)
to_disk = time.perf_counter() - t0
peak = max(peak, rss())
writes = getattr(live, "writes", None) if backed else None
print(json.dumps({"rate": n / seconds, "to_disk": n / to_disk, "rss": rss(), "peak": peak, "ring_rows": len(ring),
                  "ring_bytes": ring.data_bytes(), "shown": len(rows) if backed else len(ring),
                  "queued": writes.peak_bytes if writes else 0, "waits": writes.waits if writes else 0}))
"""


def live_figures(n: int, size: int, root: Path) -> None:
    print(f"\n(2) live session, {n:,} EVENTs of ~{size} B in batches of {BATCH}, load {os.getloadavg()[0]:.2f}")
    print(f"  {'':34s} {'k frames/s':>11s} {'to disk':>8s} {'peak RSS MB':>12s} {'end RSS MB':>11s} {'ring rows':>10s} "
          f"{'ring MB':>8s} {'rows shown':>11s}")
    base = None
    for name, how in (("today: ring alone (1,000,000 rows)", "ring"), ("ring + store + LogRows", "store")):
        folder = root / f"live-{how}-{size}"
        wall, peak, out, _ = child([sys.executable, "-c", LIVE, str(n), str(size), how, str(Path(__file__).parent),
                                    str(folder)], env=dict(os.environ, PYTHONPATH=str(REPO)))
        shutil.rmtree(folder, ignore_errors=True)
        if not out.strip().startswith("{"):
            print(f"  {name:34s} failed after {wall:.0f} s")
            continue
        r = json.loads(out)
        base = base or r["rate"]
        print(f"  {name:34s} {r['rate'] / 1e3:11.0f} {r['to_disk'] / 1e3:8.0f} {max(peak, r['peak']):12.0f} "
              f"{r['rss']:11.0f} "
              f"{r['ring_rows']:10,} {r['ring_bytes'] / 2**20:8.0f} {r['shown']:11,}  x{r['rate'] / base:.2f} rate"
              + (f"; writes queued at most {r['queued'] / 2**20:.0f} MB, the log waited for the disk "
                 f"{r['waits']:,} times" if r.get("queued") else ""))


APP_RSS = """
import asyncio, json, os, sys, tempfile, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, sys.argv[3])
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
import qasync
from bench_store_view import pool, CONNS, T0
from inspector.mock.server import MockConfig
from inspector.profiles import ProfileStore
from inspector.protocol.events import IN, FrameSeen
from inspector.qt.live_store import LiveStore
from inspector.qt.main_window import MainWindow, freeze_startup_objects

n, folder = int(sys.argv[1]), sys.argv[2]
CLIENT_BATCH = 512  # frames a connection's batch hands the log at most

def rss():
    with open("/proc/self/status") as f:
        return {k: int(v.split()[0]) / 1024 for k, v in (line.split(":", 1) for line in f)
                if k in ("VmRSS", "RssAnon", "RssFile")}

app = QApplication(sys.argv[:1])
app.setQuitOnLastWindowClosed(False)
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)
store = ProfileStore(folder)
store.load()
window = MainWindow(store, QSettings(os.path.join(folder, "ui.ini"), QSettings.Format.IniFormat), MockConfig())
window.show()
live = LiveStore(window, os.path.join(folder, "data"))
freeze_startup_objects()
frames = pool(1024)
panel = window.log_panel
out = {}

async def main():
    start = rss()
    samples = [start]
    t0 = time.perf_counter()
    for a in range(0, n, CLIENT_BATCH):
        # each frame its own bytes, as off the network (a shared object would hide what the log holds)
        panel.ingest_frames([FrameSeen(CONNS[i % 3], T0 + i * 1e-5, IN,
                                       frames[i % len(frames)][:1] + frames[i % len(frames)][1:])
                             for i in range(a, min(a + CLIENT_BATCH, n))])
        await asyncio.sleep(0)
        while panel.pending_count > 4 * CLIENT_BATCH:  # a socket's backlog, not an unbounded queue
            await asyncio.sleep(0.001)
        if a % (CLIENT_BATCH * 200) == 0:
            samples.append(rss())
    panel.flush()
    seconds = time.perf_counter() - t0
    for _ in range(50):  # the table's last sync and the store's last tick
        await asyncio.sleep(0.02)
    samples.append(rss())
    out.update(start=start["VmRSS"], peak=max(r["VmRSS"] for r in samples),
               anon=max(r["RssAnon"] for r in samples), file=max(r["RssFile"] for r in samples),
               end=samples[-1]["VmRSS"], end_anon=samples[-1]["RssAnon"], rate=n / seconds,
               rows=panel.model.rowCount(), frames=panel.frame_count(), ring=len(panel.store),
               ring_mb=panel.store.data_bytes() / 2**20)
    live.close()
    window.closed = asyncio.get_running_loop().create_future()
    window.close()
    await window.closed

with loop:
    loop.run_until_complete(main())
print(json.dumps(out))
"""


def app_rss_figures(n: int, root: Path) -> None:
    folder = root / "app-rss"
    folder.mkdir()
    print(f"\n(3) the app's memory: MainWindow + LogPanel + LiveStore (offscreen), {n:,} EVENTs of ~1 KB through "
          f"the log's batch sink; load {os.getloadavg()[0]:.2f}")
    try:
        wall, peak, out, status = child([sys.executable, "-c", APP_RSS, str(n), str(folder),
                                         str(Path(__file__).parent)], env=dict(os.environ, PYTHONPATH=str(REPO)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if status or not out.strip().startswith("{"):
        print(f"  failed after {wall:.0f} s (status {status})")
        return
    r = json.loads(out)
    print(f"  peak RSS {peak:.0f} MB (kernel's maximum; sampled: {r['peak']:.0f}, heap {r['anon']:.0f}, mapped files "
          f"{r['file']:.0f}); at the start {r['start']:.0f}, at the end {r['end']:.0f} (heap {r['end_anon']:.0f}); "
          f"{r['rate'] / 1e3:.0f} k frames/s; the log shows {r['frames']:,} frames in {r['rows']:,} rows, its ring "
          f"{r['ring']:,} rows, {r['ring_mb']:.0f} MB; load {os.getloadavg()[0]:.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--frames", type=int, default=10_000_000, help="rows of the session folder opened")
    ap.add_argument("--ring-frames", type=int, default=1_000_000, help="frames of today's .rirec opened")
    ap.add_argument("--live-frames", type=int, default=10_000_000, help="~100 B frames of the live session")
    ap.add_argument("--live-frames-1k", type=int, default=10_000_000, help="~1 KB frames of the live session")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--app-rss-frames", type=int, default=10_000_000, help="~1 KB frames through the app's log")
    ap.add_argument("--skip-open", action="store_true")
    ap.add_argument("--skip-live", action="store_true")
    ap.add_argument("--only", choices=["open", "live", "app-rss"])
    ap.add_argument("--open-ways", default="launch,window", help="launch, window (File > Open), or both")
    ap.add_argument("--against", type=Path, help="another checkout whose app opens too, alternating (e.g. main's)")
    ap.add_argument("--no-rirec", action="store_true", help="(1) without today's .rirec open")
    args = ap.parse_args(argv)
    print(f"load at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="bench-store-view-") as tmp:
        root = Path(tmp)
        if not args.skip_open and args.only in (None, "open"):
            open_figures(args.frames, args.ring_frames, args.rounds, root, args.open_ways.split(","),
                         args.against.resolve() if args.against else None, not args.no_rirec)
        if not args.skip_live and args.only in (None, "live"):
            live_figures(args.live_frames, 100, root)
            live_figures(args.live_frames_1k, 1024, root)
        if args.only in (None, "app-rss"):
            app_rss_figures(args.app_rss_frames, root)
    print(f"load at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
