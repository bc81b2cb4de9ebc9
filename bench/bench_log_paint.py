"""What a repaint of the log's table costs the GUI thread: its own cells (``cell_painter.LogCells``)
beside Qt's item delegate (``QStyledItemDelegate``, and ``TimeDelegate`` for the Time column: the
log's way before), alternated in one run.

    .venv/bin/python bench/bench_log_paint.py [--rows 20000] [--rounds 5] [--repaints 20]
        [--width 1400] [--height 950]

A shown ``LogPanel`` holds --rows frames of every look (EVENTs on topics of varied length, errors,
PINGs, undecodable frames, gaps); its table is repainted whole (``viewport().repaint()``) --repaints
times per round, the GUI thread's CPU time per repaint measured (``time.thread_time``):
- "painted before": rows painted before (a second paint of the same rows: scrolling back, a
  window exposed again, a row selected);
- "formatted, 1st paint": rows never painted, the model's formatted (the table scrolled to the
  next page of rows, ``model.prepare`` run for them first): an opened file's first paint (its
  newest rows are formatted a few a turn before it shows);
- "new rows": rows neither formatted nor painted (the next page): a flood's newest rows.
The pages go on through the log, so --rows must hold a few thousand.
Prints the median of --rounds rounds for each path, the cells drawn by each path and the load
average. Offscreen (QT_QPA_PLATFORM=offscreen unless set).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QStyledItemDelegate

from inspector.protocol.events import IN, OUT, FrameSeen
from inspector.protocol.frames import Error, Event, Ping, encode
from inspector.qt.app import STYLE

T0 = 1_764_300_000.0
PAINTED, FIRST_PAINT, NEW_ROWS = range(3)
CASES = {PAINTED: "painted before", FIRST_PAINT: "formatted, 1st paint", NEW_ROWS: "new rows"}


def frames(n: int) -> list[FrameSeen]:
    out = []
    for i in range(n):
        k = i % 20
        if k == 0:
            data = encode(Error("invalid_topic", f"bad topic {i}"))
        elif k == 1:
            data = encode(Ping(b"\x00\x01"))
        elif k == 2:
            data = b"\x7a not a frame"
        else:
            data = encode(Event(f"prices.{'eu' * (i % 7)}.t{i % 40}", "message", 1_764_300_000_000 + i,
                                {"i": i, "px": i * 0.25, "side": "buy" if i % 3 else "sell", "pad": "x" * (i % 90)},
                                seq=i // 3 + (1 if i % 97 == 0 else 0)))  # per connection, a gap now and then
        out.append(FrameSeen(f"conn-{i % 3}", T0 + i * 1e-3, OUT if k == 1 else IN, data))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repaints", type=int, default=20)
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=950)
    args = ap.parse_args(argv)
    app = QApplication(sys.argv[:1])
    app.setStyle(STYLE)
    from inspector.qt.log.model import COL_TIME, COLUMNS
    from inspector.qt.log.panel import LogPanel
    from inspector.qt.log.time_column import TimeDelegate

    panel = LogPanel()
    panel.resize(args.width, args.height)
    panel.show()
    panel.ingest_frames(frames(args.rows))
    panel.flush()
    for _ in range(5):
        app.processEvents()
    view, cells = panel.view, panel.time_delegate
    qt_way = QStyledItemDelegate(view)
    qt_time = TimeDelegate(panel.rows, panel.model, view)
    viewport = view.viewport()

    def use(own: bool) -> None:
        view.setItemDelegate(cells if own else qt_way)
        view.setItemDelegateForColumn(COL_TIME, cells if own else qt_time)
        view.cells = cells if own else None

    row_height = view.verticalHeader().defaultSectionSize()
    page_rows = viewport.height() // row_height + 1
    bar = view.verticalScrollBar()
    pages = iter(range(10**9))

    def repaint_ms(own: bool, fresh: int) -> float:
        use(own)
        viewport.repaint()
        spent = 0.0
        for _ in range(args.repaints):
            if fresh != PAINTED:  # rows never painted: the next page of them
                first = next(pages) * page_rows % max(1, args.rows - page_rows)
                if fresh == FIRST_PAINT:
                    panel.model.prepare(first, first + page_rows + 1)
                bar.setValue(first * row_height)
            t0 = time.thread_time()
            viewport.repaint()
            spent += time.thread_time() - t0
        return spent / args.repaints * 1000

    shown = viewport.height() // view.verticalHeader().defaultSectionSize() + 1
    print(f"load at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores); viewport "
          f"{viewport.width()}x{viewport.height()}, ~{shown} rows x {len(COLUMNS)} columns")
    figures: dict[tuple[bool, int], list[float]] = {}
    for _ in range(args.rounds):
        for fresh in CASES:
            for own in (False, True):
                figures.setdefault((own, fresh), []).append(repaint_ms(own, fresh))
    print(f"  CPU ms per full repaint, median of {args.rounds} rounds of {args.repaints}:")
    print(f"  {'':34s}" + "".join(f" {CASES[c]:>20s}" for c in CASES))
    for own, name in ((False, "Qt's delegate (before)"), (True, "LogCells (the log's own cells)")):
        print(f"  {name:34s}" + "".join(f" {statistics.median(figures[own, c]):20.2f}" for c in CASES))
    print(f"  {'LogCells cheaper by':34s}" + "".join(
        f" {statistics.median(figures[False, c]) / statistics.median(figures[True, c]):19.1f}x" for c in CASES))
    print(f"  cells drawn by LogCells {cells.fast_cells:,}, by Qt's path {cells.slow_cells:,}")
    print(f"load at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    panel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
