"""Flood the frame log on a real Qt event loop and measure it.

    .venv/bin/python bench/bench_log.py [--frames 300000] [--chunk 1000] [--rate 0] [--cap 1000000]

A producer timer builds EVENT frames the way the client engine delivers them
(bytes + decoded frame) and calls ``LogPanel.ingest``; the panel's own flush
timer moves them into the store, model and a visible (offscreen) table. Prints
frames/s end to end, the time the log itself spends per frame (ingest + flush),
the event-loop lag (lateness of a 10 ms probe timer) p50/p99/max, and peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from inspector.logstore.frame_store import Query
from inspector.protocol.events import IN, FrameSeen
from inspector.protocol.frames import try_decode
from inspector.qt.log.panel import LogPanel

PROBE_MS = 10
TOPICS = [f"bench.t{i}" for i in range(8)]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def _attach_store(panel, folder, spent):
    """The app's LiveSession on the panel's store, ticked by a single-shot timer as LiveStore does."""
    import inspector.logstore.session_store.writer  # noqa: F401 - pyarrow loaded before the clock runs
    from inspector.logstore.live_session import LiveSession

    tick = QTimer()
    tick.setSingleShot(True)
    tick.setInterval(50)

    def on_tick():
        t0 = time.perf_counter()
        session.tick()
        dt = time.perf_counter() - t0
        spent[0] += dt
        session.bench_spent += dt
        if session.pending:
            tick.start()

    tick.timeout.connect(on_tick)
    session = LiveSession(folder, on_error=print, on_pending=lambda: tick.isActive() or tick.start())
    session.attach(panel.store)
    put = panel.store.row_sink

    def timed_put(*a):
        t0 = time.perf_counter()
        put(*a)
        session.bench_spent += time.perf_counter() - t0  # inside a flush: in the log path already

    panel.store.row_sink = timed_put
    session.bench_timer = tick  # kept alive with the session
    session.bench_spent = 0.0
    return session


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300_000)
    ap.add_argument("--chunk", type=int, default=1000, help="frames per producer tick")
    ap.add_argument("--rate", type=float, default=0, help="target frames/s (0 = as fast as possible)")
    ap.add_argument("--cap", type=int, default=1_000_000, help="frame store cap")
    ap.add_argument("--filter", default="", help="free-text filter active during the flood")
    ap.add_argument("--store", metavar="DIR", default="",
                    help="also write the session store in DIR as the app does (its time counts in the log path)")
    args = ap.parse_args(argv)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    panel = LogPanel(cap=args.cap)
    panel.resize(1400, 900)
    panel.show()
    if args.filter:
        panel.text_edit.setText(args.filter)
        panel.apply_filter()
    app.processEvents()
    rss_before = rss_mb()

    # Measure the log's own cost: ingest calls and flushes.
    spent = [0.0]
    flushes = []
    real_flush, real_ingest = panel.flush, panel.ingest

    def timed_flush():
        t0 = time.perf_counter()
        n = len(panel._pending)
        real_flush()
        dt = time.perf_counter() - t0
        spent[0] += dt
        flushes.append((n, dt))

    panel._flush_timer.timeout.disconnect()
    panel._flush_timer.timeout.connect(timed_flush)
    panel.flush = timed_flush
    session = _attach_store(panel, args.store, spent) if args.store else None

    lags: list[float] = []
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(PROBE_MS)
    last = [time.perf_counter()]

    def on_probe():
        now = time.perf_counter()
        lags.append(max(0.0, (now - last[0]) * 1000 - PROBE_MS))
        last[0] = now

    probe.timeout.connect(on_probe)

    sent = [0]
    ticks: list[float] = []
    start = [0.0]
    done = [0.0]
    ts = int(time.time() * 1000)

    def produce():
        total = args.frames
        if sent[0] >= total:
            return
        if args.rate:
            due = min(total, int((time.perf_counter() - start[0]) * args.rate))
            n = min(due - sent[0], args.chunk)
        else:
            n = min(args.chunk, total - sent[0])
        now = time.time()
        tick0 = time.perf_counter()
        ingest_t = 0.0
        for k in range(sent[0], sent[0] + n):
            data = b'\x10{"topic":"%s","type":"message","seq":%d,"ts":%d,"data":{"i":%d,"price":%d.25}}' % (
                TOPICS[k % 8].encode(), k // 8 + 1, ts, k, k % 997)
            ev = FrameSeen("bench", now, IN, data, try_decode(data))  # what the engine delivers
            t0 = time.perf_counter()
            real_ingest(ev)
            ingest_t += time.perf_counter() - t0
        spent[0] += ingest_t
        sent[0] += n
        ticks.append((time.perf_counter() - tick0) * 1000)

    producer = QTimer()
    producer.setInterval(0 if not args.rate else 1)
    producer.timeout.connect(produce)

    def check_done():
        if sent[0] >= args.frames and not panel._pending and panel.store.end_number - 1 >= args.frames:
            done[0] = time.perf_counter()
            producer.stop()
            probe.stop()
            watcher.stop()
            app.quit()

    watcher = QTimer()
    watcher.setInterval(5)
    watcher.timeout.connect(check_done)

    start[0] = last[0] = time.perf_counter()
    producer.start()
    probe.start()
    watcher.start()
    app.exec()

    elapsed = done[0] - start[0]
    n = args.frames
    if session is not None:
        t0 = time.perf_counter()
        session.close()  # the last rows, written before the figures
        spent[0] += time.perf_counter() - t0
        session.bench_spent += time.perf_counter() - t0
        print(f"session store          {session.writer.rows_written:,} rows in {session.folder}"
              f" ({sum(f.stat().st_size for f in session.folder.iterdir()) / 2**20:.0f} MB), "
              f"{session.bench_spent / n * 1e6:.2f} µs/frame of the log path below "
              f"({session.bench_spent / spent[0]:.0%})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    batch = [b for b, _ in flushes if b]
    flush_ms = [dt * 1000 for b, dt in flushes if b]
    shown = panel.model.rowCount()
    # One filter rebuild over everything kept, as a user typing a query would cause.
    t0 = time.perf_counter()
    panel.model.set_query(Query(text="price\":5"))
    rebuild_text = time.perf_counter() - t0
    t0 = time.perf_counter()
    panel.model.set_query(Query(topic="bench.t3"))
    rebuild_topic = time.perf_counter() - t0

    print(f"frames                 {n:,} (store cap {args.cap:,}, kept {len(panel.store):,}, "
          f"dropped {panel.store.dropped:,}, rows {shown:,})")
    print(f"end to end             {n / elapsed:,.0f} frames/s over {elapsed:.2f} s "
          f"(producer builds + decodes each frame like the engine)")
    print(f"log path (ingest+flush) {spent[0] / n * 1e6:.2f} µs/frame -> {n / spent[0]:,.0f} frames/s capacity")
    print(f"flushes                {len(batch)} with frames, batch p50 {pct(batch, 50):,.0f}, "
          f"flush p50 {pct(flush_ms, 50):.1f} ms p99 {pct(flush_ms, 99):.1f} ms max {max(flush_ms):.1f} ms")
    print(f"producer ticks         p50 {pct(ticks, 50):.1f} ms p99 {pct(ticks, 99):.1f} ms max {max(ticks):.1f} ms "
          f"(time outside the log counts as load, like the network and engine would)")
    print(f"event-loop lag         p50 {pct(lags, 50):.1f} ms  p99 {pct(lags, 99):.1f} ms  "
          f"max {max(lags):.1f} ms  ({len(lags)} probes of {PROBE_MS} ms)")
    print(f"filter rebuild         text {rebuild_text * 1000:.0f} ms, topic {rebuild_topic * 1000:.0f} ms "
          f"over {len(panel.store):,} frames")
    print(f"memory                 RSS before {rss_before:.0f} MB, peak {peak:.0f} MB "
          f"(~{(peak - rss_before) * 2**20 / max(1, len(panel.store)):.0f} B/frame kept)")
    panel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
