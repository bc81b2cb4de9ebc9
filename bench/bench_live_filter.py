"""The live log under a text filter: a flood's new rows matched as they come, measured.

    .venv/bin/python bench/bench_live_filter.py [--rounds 6] [--sizes 5000,20000,70000]

A shown LogPanel (the in-memory ring, as the live log) with a free-text filter on; each round
puts SIZE new EVENT frames read by their head only (as a flood's frames are stored: a first
search decodes their bodies) into its store and lets the panel follow: its sync, then the
turns it takes to catch up (``LogModel.behind``, when the tree has it). Prints, per size and
needle, the longest single turn of the GUI thread spent on it (what the window stalls for),
the turns taken and the rows shown at the end (they must be the same with and without the
catch-up). No filter as a baseline. The cyclic collector is off unless --gc (a full pass over
the frames made here would land in whichever turn it hits). Run it from another checkout's
tree to compare.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from inspector.protocol.events import IN, FrameSeen
from inspector.protocol.frames import Event, encode
from inspector.qt.log.panel import LogPanel

POOL = 10_000


def frames() -> list[bytes]:
    return [encode(Event(f"market.t{i % 8}", "message", 1_700_000_000_000 + i,
                         {"i": i, "who": "bob" if i % 5 else "zoë", "pad": "x" * 40}, seq=i)) for i in range(POOL)]


def run(app: QApplication, pool: list[bytes], text: str, size: int, rounds: int) -> tuple[float, int, int]:
    panel = LogPanel()
    panel.resize(1000, 600)
    panel.show()
    app.processEvents()
    if text:
        panel.text_edit.setText(text)
        panel.apply_filter()
        app.processEvents()
    worst, turns, k = 0.0, 0, 0
    for _ in range(rounds):
        panel.store.extend([FrameSeen("c1", 1.7e9 + (k + i) * 1e-6, IN, pool[(k + i) % POOL]) for i in range(size)])
        k += size
        while True:  # the sync a flush slice makes, then the turns that catch up, if any
            t0 = time.perf_counter()
            panel._sync()
            worst = max(worst, time.perf_counter() - t0)
            turns += 1
            if not getattr(panel.model, "behind", False):
                break
    shown = panel.model.rowCount()
    panel.close()
    return worst * 1000, turns, shown


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--sizes", default="5000,20000,70000", help="new rows per round")
    ap.add_argument("--gc", action="store_true", help="leave the cyclic collector on (its pauses land in the turns)")
    args = ap.parse_args(argv)
    if not args.gc:
        gc.disable()
    app = QApplication.instance() or QApplication([])
    pool = frames()
    print(f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.rounds} rounds each")
    print(f"  {'rows per round':>14s} {'filter':>8s} {'longest turn ms':>16s} {'turns':>6s} {'rows shown':>11s}")
    for size in (int(x) for x in args.sizes.split(",")):
        for text in ("", "bob", "zoë"):
            worst, turns, shown = run(app, pool, text, size, args.rounds)
            print(f"  {size:14,d} {text!r:>8s} {worst:16.1f} {turns:6d} {shown:11,d}")
    print(f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
