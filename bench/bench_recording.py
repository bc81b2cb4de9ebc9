"""Recording benchmark: records/s written, seconds to open a 1,000,000-frame recording.

    .venv/bin/python bench/bench_recording.py [--frames N] [--keep PATH]

Prints the figures; no pass/fail. Opening is measured three ways: the fast column
reader the app uses, streaming every record without decoding the frames, and
streaming with every frame decoded.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from inspector.protocol.events import IN, OUT, FrameSeen, State, StateChanged
from inspector.protocol.frames import Event, Ping, encode
from inspector.recording import RecordingWriter, open_recording
from inspector.recording.columns import read_columns


def frames(n: int, t0: float):
    """A realistic mix: mostly EVENTs of a few hundred bytes, some PINGs, a few connections."""
    payloads = [encode(Event(f"orders.{r}", "message", 1764300000000 + i, {"id": f"o-{i}", "total": i * 7 % 900,
                                                                          "region": r, "note": "x" * (i % 40)}, i))
                for i, r in enumerate(["eu", "us", "ap", "sa"] * 25)]
    ping = encode(Ping(b"12345678"))
    for i in range(n):
        conn = f"c{i % 3}"
        if i % 50 == 0:
            yield FrameSeen(conn, t0 + i * 0.0005, OUT, ping)
        else:
            yield FrameSeen(conn, t0 + i * 0.0005, IN, payloads[i % len(payloads)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--keep", metavar="PATH", help="write the recording here and keep it")
    args = ap.parse_args()
    path = args.keep or os.path.join(tempfile.mkdtemp(), "bench.rirec")
    t0 = time.time()
    events = list(frames(args.frames, t0))

    start = time.perf_counter()
    with RecordingWriter(path, profile="bench", url="ws://127.0.0.1:8765/api/v2/realtime") as w:
        w.write_event(StateChanged("c0", t0, State.OPEN))
        for ev in events:
            w.write_event(ev)
    write_s = time.perf_counter() - start
    size = os.path.getsize(path)
    print(f"write: {args.frames:,} frames in {write_s:.2f} s = {args.frames / write_s:,.0f} records/s "
          f"({size / 1e6:.0f} MB, {size / args.frames:.0f} B/record)")
    del events

    start = time.perf_counter()
    cols = read_columns(path)
    s = time.perf_counter() - start
    print(f"open (columns, what the app uses): {len(cols):,} rows in {s:.2f} s")
    cols.close()

    start = time.perf_counter()
    n = sum(1 for _ in open_recording(path).events(decode=False))
    print(f"open (stream, frames not decoded): {n:,} records in {time.perf_counter() - start:.2f} s")

    start = time.perf_counter()
    n = sum(1 for _ in open_recording(path))
    print(f"open (stream, every frame decoded): {n:,} records in {time.perf_counter() - start:.2f} s")
    if not args.keep:
        os.remove(path)


if __name__ == "__main__":
    main()
