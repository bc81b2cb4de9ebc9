"""The log over the session store, beside today's ring, measured in one run.

    .venv/bin/python bench/bench_store_view.py [--frames 10000000] [--ring-frames 1000000]
        [--live-frames 10000000] [--live-frames-1k 10000000] [--rounds 3]

(1) Open: a --frames-row session folder (EVENT frames of ~100 B) opened by the real app,
    ``realtime-inspector FOLDER --self-test`` in a subprocess: its wall time from outside and
    its peak RSS, and what the self-test says from inside (first rows painted and last row
    shown, seconds after the open started; event-loop lag p99 and worst). Beside it today's
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


def app_open(path: Path, scratch: Path) -> dict[str, Any]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(scratch / "config"),
               XDG_DATA_HOME=str(scratch / "data"), PYTHONPATH=str(REPO))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed app has its .pyc files (see the warm-up run)
    wall, peak, out, status = child([sys.executable, "-m", "inspector", str(path), "--self-test"], env)
    found = re.search(r"first rows painted ([\d.]+) s, last row shown ([\d.]+) s, event-loop lag p99 (\d+) ms, "
                      r"worst (\d+) ms", out)
    figures = [float(x) for x in found.groups()] if found else [float("nan")] * 4
    return {"ok": status == 0 and "self-test: opened" in out, "wall": wall, "rss": peak,
            "first": figures[0], "last": figures[1], "p99": figures[2], "worst": figures[3]}


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


def open_figures(n: int, ring_frames: int, rounds: int, root: Path) -> None:
    folder = write_store(root / "store", n)
    rirec = write_rirec(root / "today.rirec", ring_frames)
    store_runs = []
    rirec_runs = []
    app_open(folder, root)  # warm-up, not counted: the page cache, and the .pyc files written
    for _ in range(rounds):
        store_runs.append(app_open(folder, root))
        rirec_runs.append(app_open(rirec, root))
    wall, peak, out, _ = child([sys.executable, "-c", LOAD_INTO_RING, str(folder)],
                               env=dict(os.environ, PYTHONPATH=str(REPO)))
    loaded = json.loads(out) if out.strip().startswith("{") else {"seconds": float("nan"), "rows": 0}
    print(f"\n(1) open, {n:,}-frame session folder (~100 B frames) vs today's ring; {rounds} rounds, load "
          f"{os.getloadavg()[0]:.2f}")
    print(f"  {'':44s} {'wall s':>7s} {'first paint s':>14s} {'last row s':>11s} {'lag p99 ms':>11s} "
          f"{'worst ms':>9s} {'peak RSS MB':>12s}")
    for name, runs in ((f"store folder, app --self-test ({n:,})", store_runs),
                       (f"today: .rirec, app --self-test ({ring_frames:,})", rirec_runs)):
        for r in runs:
            flag = "" if r["ok"] else "  (failed or timed out)"
            print(f"  {name:44s} {r['wall']:7.2f} {r['first']:14.3f} {r['last']:11.3f} {r['p99']:11.0f} "
                  f"{r['worst']:9.0f} {r['rss']:12.0f}{flag}")
    print(f"  {'today: folder loaded into the ring (' + format(n, ',') + ')':44s} {wall:7.2f} "
          f"{'':14s} {loaded['seconds']:11.3f} {'':11s} {'':9s} {peak:12.0f}")
    mid = statistics.median(r["last"] for r in store_runs)
    print(f"  last row: store {mid:.3f} s for {n:,} frames; today's ring {loaded['seconds']:.2f} s "
          f"({loaded['seconds'] / mid:.0f}x); .rirec {statistics.median(r['last'] for r in rirec_runs):.2f} s "
          f"for {ring_frames:,}")
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--frames", type=int, default=10_000_000, help="rows of the session folder opened")
    ap.add_argument("--ring-frames", type=int, default=1_000_000, help="frames of today's .rirec opened")
    ap.add_argument("--live-frames", type=int, default=10_000_000, help="~100 B frames of the live session")
    ap.add_argument("--live-frames-1k", type=int, default=10_000_000, help="~1 KB frames of the live session")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-open", action="store_true")
    ap.add_argument("--skip-live", action="store_true")
    args = ap.parse_args(argv)
    print(f"load at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="bench-store-view-") as tmp:
        root = Path(tmp)
        if not args.skip_open:
            open_figures(args.frames, args.ring_frames, args.rounds, root)
        if not args.skip_live:
            live_figures(args.live_frames, 100, root)
            live_figures(args.live_frames_1k, 1024, root)
    print(f"load at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
