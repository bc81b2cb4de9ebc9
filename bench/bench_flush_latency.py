"""How long a recorded frame takes to reach the file with no flush() and no close: the target is 250 ms.

    .venv/bin/python bench/bench_flush_latency.py [--tries 20]

Times both writers: RecordingWriter's background flusher and ProcessRecordingWriter's
feeder and sink. Prints the median and worst delay of each; exits 1 when a median
misses the target (the unit tests only check that the data arrives).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from inspector.protocol.events import IN, FrameSeen
from inspector.recording import RecordingWriter
from inspector.recording.process_writer import ProcessRecordingWriter

TARGET = 0.25  # seconds from write to the file


def lines(path: Path) -> int:
    return path.read_bytes().count(b"\n")


def delay_until_grown(path: Path, before: int, timeout: float = 10.0) -> float:
    """Seconds until the file holds more than ``before`` lines."""
    t0 = time.monotonic()
    while lines(path) <= before:
        if time.monotonic() - t0 > timeout:
            raise SystemExit(f"nothing reached the file in {timeout} s")
        time.sleep(0.001)
    return time.monotonic() - t0


def time_writer(path: Path, tries: int) -> list[float]:
    delays = []
    with RecordingWriter(path) as w:
        for i in range(tries):
            before = lines(path)
            w.write_event(FrameSeen("c1", time.time(), IN, b"\x10%d" % i))
            delays.append(delay_until_grown(path, before))
    return delays


def time_process_writer(path: Path, tries: int) -> list[float]:
    delays = []
    with ProcessRecordingWriter(path) as w:
        w.flush()  # the sink is up
        for i in range(tries):
            before = lines(path)
            w.tap(("c1", time.time(), b"\x10%d" % i))
            delays.append(delay_until_grown(path, before))
    return delays


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tries", type=int, default=20)
    args = ap.parse_args(argv)
    missed = False
    with tempfile.TemporaryDirectory() as tmp:
        for name, timer in (("RecordingWriter", time_writer), ("ProcessRecordingWriter", time_process_writer)):
            delays = timer(Path(tmp) / f"{name}.rirec", args.tries)
            median = statistics.median(delays)
            missed |= median >= TARGET
            print(f"{name:<24} median {median * 1000:6.1f} ms, worst {max(delays) * 1000:6.1f} ms "
                  f"(target {TARGET * 1000:.0f} ms, n={len(delays)})")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
