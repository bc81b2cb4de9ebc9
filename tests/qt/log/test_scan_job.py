"""A filter run over a real session store from the log panel: progress, Cancel, the ring's rows."""

from __future__ import annotations

import numpy as np
import pytest
from framegen import error, event, ping, raw
from PySide6.QtCore import QCoreApplication

from inspector.logstore.frame_store import Query
from inspector.logstore.live_session import LiveSession
from inspector.logstore.session_store.reader import SessionReader
from inspector.logstore.store_scan import match_chunks
from inspector.protocol.kinds import Kind

TOPICS = ("orders.eu", "orders.us", "prices.gbp", "Zürich.quotes")


@pytest.fixture
def kept(panel, tmp_path):
    """The panel's log, every row also written to a session store, as a live session does."""
    errors: list[str] = []
    live = LiveSession(tmp_path, on_error=errors.append, threaded=False, writer_options={"block_rows": 128})
    live.attach(panel.store)
    frames = []
    for i in range(3000):
        frames.append(event(seq=i, topic=TOPICS[i % 4], conn=f"c{i % 3}", decoded=bool(i % 2),
                            data={"n": i, "who": "Zoë" if i % 7 == 0 else "bob"}))
        if i % 250 == 0:
            frames += [ping(conn="c1"), raw(b"\x7a broken"), error(message=f"bad topic {i}")]
    for ev in frames:
        panel.ingest(ev)
    panel.flush()
    live.close()
    assert not errors
    reader = SessionReader(live.folder)
    assert len(reader) == len(panel.store)
    yield reader
    reader.close()


def _run(panel, qtbot, scan):
    found, progress = [], []
    panel.scan_job.found.connect(found.append)
    panel.scan_job.progress.connect(lambda done, total: progress.append((done, total, panel.scan_box.isVisible())))
    with qtbot.waitSignal(panel.scan_job.finished, timeout=10_000) as ended:
        panel.run_scan(scan)
    return found, progress, ended.args[0]


@pytest.mark.parametrize("q", [Query(topic="orders.*"), Query(kinds=frozenset({Kind.PING, Kind.ERROR})),
                               Query(conn="c2", direction="in"), Query(text="ZOË"), Query(text="undecodable")],
                         ids=["topic", "kind", "conn", "text", "summary"])
def test_a_store_filter_shows_progress_and_finds_the_rows_the_ring_finds(panel, qtbot, kept, q):
    panel.scan_job.slice_s = 0  # one chunk a turn of the loop: results arrive as they are found
    found, progress, complete = _run(panel, qtbot, lambda: match_chunks(kept, q, chunk_rows=500))
    assert complete and not panel.scan_box.isVisible()
    assert [p[:2] for p in progress] == [(min(d, len(kept)), len(kept)) for d in range(500, len(kept) + 499, 500)]
    assert all(shown for _, _, shown in progress)
    assert len(found) > 1  # incrementally
    assert np.concatenate(found).tolist() == (panel.store.match(q) - 1).tolist()


def test_cancel_stops_the_scan_and_keeps_what_was_found(panel, qtbot, kept):
    panel.scan_job.slice_s = 0
    found, seen, ends = [], [], []
    panel.scan_job.found.connect(found.append)
    panel.scan_job.finished.connect(ends.append)

    def progressed(done, _total):
        seen.append(done)
        if len(seen) == 2:  # the user clicks Cancel while the bar shows the second step
            panel.scan_cancel.click()

    panel.scan_job.progress.connect(progressed)
    with qtbot.waitSignal(panel.scan_job.finished, timeout=5000) as ended:
        panel.run_scan(lambda: match_chunks(kept, Query(text="bob"), chunk_rows=128))
    assert ended.args == [False] and not panel.scan_job.running and not panel.scan_box.isVisible()
    stopped_at = len(seen)
    for _ in range(5):  # turns of the loop in which a scan still running would have gone on
        QCoreApplication.processEvents()
    assert len(seen) == stopped_at and seen[-1] < len(kept) and ends == [False]
    rows = np.concatenate(found).tolist()
    assert rows == [r for r in (panel.store.match(Query(text="bob")) - 1).tolist() if r < seen[-1]]


def test_a_damaged_block_ends_the_scan_with_one_line_and_keeps_what_was_found(panel, qtbot, kept):
    block = kept.blocks[5]
    with open(kept.path, "r+b") as f:  # the sixth block's head overwritten
        f.seek(block.offset)
        f.write(b"\x7f" * 64)
    kept.refresh()
    panel.scan_job.slice_s = 0
    found, failures = [], []
    panel.scan_job.found.connect(found.append)
    panel.scan_job.failed.connect(failures.append)
    with qtbot.waitSignal(panel.scan_job.finished, timeout=5000) as ended:
        panel.run_scan(lambda: match_chunks(kept, Query(topic="orders.eu"), chunk_rows=128))
    assert ended.args == [False] and not panel.scan_box.isVisible()
    assert len(failures) == 1 and "block 5" in failures[0] and "\n" not in failures[0]
    assert np.concatenate(found).tolist() == [r for r in (panel.store.match(Query(topic="orders.eu")) - 1).tolist()
                                              if r < 5 * 128]


def test_a_scan_behind_its_search_threads_gives_the_loop_back(qtbot):
    """A chunk that says the scan is behind (``scan_pace``) ends the step however long its slice:
    the loop turns, and the scan is asked again a moment later."""
    from inspector.logstore import scan_pace
    from inspector.qt.log.scan_job import ScanJob

    job = ScanJob(slice_s=60.0)  # without the pace, every chunk would be taken in one step
    paces: list[object] = []

    def scan():
        paces.append(scan_pace.current.get())
        if paces[-1] is not None:
            paces[-1].behind = True
        yield 0, 3, np.zeros(0, np.int64)
        paces.append(scan_pace.current.get())
        yield 2, 3, np.array([0, 1])
        paces.append(scan_pace.current.get())
        yield 3, 3, np.array([2])

    found = []
    job.found.connect(found.append)
    with qtbot.waitSignal(job.finished, timeout=5000) as ended:
        job.start(scan)
    assert ended.args == [True] and np.concatenate(found).tolist() == [0, 1, 2]
    assert paces[0] is not None and paces[1] is not paces[0] and paces[2] is paces[1]
    assert scan_pace.current.get() is None  # set only while the job takes chunks
