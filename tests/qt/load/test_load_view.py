"""File > Open load run… opens a load run's JSON report as a document: the per-kind/per-topic
table, and the selected row's percentiles over time. The GUI process never imports Locust."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFileDialog
from qasync_loop import run
from windows import make_window

from inspector.qt.load.load_view import LoadRunView
from inspector.qt.main_window import MainWindow

# Written the way another producer might: keys in another order, extra fields, other spacing.
REPORT = """{
  "series": [
    {"max": 9, "p99": 9, "p90": 5, "p50": 2, "failures": 0, "count": 40, "name": "ticker", "kind": "EVENT", "t": 0},
    {"kind": "EVENT", "name": "ticker", "t": 1, "count": 55, "failures": 0, "p50": 3, "p90": 7, "p99": 30, "max": 31},
    {"kind": "PING", "name": "rtt", "t": 1, "count": 4, "failures": 1, "p50": 1, "p90": 2, "p99": 2, "max": 2}
  ],
  "entries": [
    {"name": "ws", "kind": "CONNECT", "requests": 12, "failures": 0, "per_s": 4.0, "p50": 14, "p90": 16,
     "p95": 16, "p99": 16, "max": 16.2, "min": 1.1, "avg": 12.5, "bytes": 0, "extra": "ignored"},
    {"kind": "EVENT", "name": "ticker", "requests": 95, "failures": 0, "per_s": 31.7, "p50": 3, "p90": 6,
     "p95": 8, "p99": 30, "max": 31.0, "min": 0.2, "avg": 3.1, "bytes": 9500},
    {"kind": "PING", "name": "rtt", "requests": 4, "failures": 1, "per_s": 1.3, "p50": 1, "p90": 2,
     "p95": 2, "p99": 2, "max": 2.0, "min": 0.5, "avg": 1.0, "bytes": 36}
  ],
  "errors": [{"occurrences": 1, "error": "no PONG within 10 s", "name": "rtt", "kind": "PING"}],
  "users": [{"t": 0, "users": 10}, {"t": 1, "users": 12}],
  "total": {"kind": "", "name": "Aggregated", "requests": 111, "failures": 1, "per_s": 37},
  "clock_note": "lag is receiver clock minus ts",
  "workers": 2, "peak_users": 12, "target_users": 12, "duration_s": 3.0, "started": "2026-12-01T10:00:00Z",
  "url": "ws://127.0.0.1:8765/api/v2/realtime", "version": 1, "format": "realtime-inspector-load"
}"""


def _open(w: MainWindow, path) -> None:
    action = next(a for a in w.file_menu.actions() if a.text() == "Open load run…")
    action.trigger()
    dlg = next(d for d in w.findChildren(QFileDialog) if d.isVisible())  # open(), not exec()
    dlg.selectFile(str(path))
    dlg.accept()


def test_a_load_run_opens_as_a_document_with_its_table_and_latency_over_time(qtbot, qloop, tmp_path):
    path = tmp_path / "run.json"
    path.write_text(REPORT)
    w = make_window(qtbot, tmp_path)
    w.show()

    async def scenario():
        _open(w, path)
        view = w.documents.currentWidget()
        assert isinstance(view, LoadRunView) and w.documents.tabText(w.documents.currentIndex()) == "Load: run.json"
        assert view.table.rowCount() == 3 and view.errors.rowCount() == 1
        cells = {(view.table.item(i, 0).text(), view.table.item(i, 1).text()): view.table.item(i, 8).text()
                 for i in range(3)}
        assert cells == {("CONNECT", "ws"): "16", ("EVENT", "ticker"): "30", ("PING", "rtt"): "2"}
        assert "2 workers" in view.header.text() and "12 users of 12" in view.header.text()
        # the EVENT row is plotted first: its p99 second by second
        assert view.shown == ("EVENT", "ticker")
        xs, ys = view.curves["p99"].getData()
        assert list(xs) == [0, 1] and list(ys) == [9, 30]
        ping = next(i for i in range(3) if view.table.item(i, 0).text() == "PING")
        view.table.selectRow(ping)
        assert view.shown == ("PING", "rtt") and list(view.curves["p50"].getData()[1]) == [1]
        grab = view.grab()
        if os.environ.get("LOAD_SHOTS"):
            w.resize(1200, 800)
            w.grab().save(os.path.join(os.environ["LOAD_SHOTS"], "load-run-window.png"))
        assert not grab.isNull()
        w.closed = asyncio.get_running_loop().create_future()
        w.close()
        await asyncio.wait_for(w.closed, 10)
    run(qloop, scenario())


def test_a_file_that_is_not_a_load_run_is_one_line_and_no_document(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)
    w.show()
    cases = {"notjson.json": "{oops", "other.json": '{"format": "har", "log": {}}',
             "newer.json": '{"format": "realtime-inspector-load", "version": 9, "entries": []}'}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)

    async def scenario():
        for name, why in (("notjson.json", "not JSON at line 1 column 2"), ("other.json", "not a load run report"),
                          ("newer.json", "version 9 is not one this app reads")):
            _open(w, tmp_path / name)
            assert w.documents.count() == 1
            assert why in w.status_label.text() and "\n" not in w.status_label.text()
        w.closed = asyncio.get_running_loop().create_future()
        w.close()
        await asyncio.wait_for(w.closed, 10)
    run(qloop, scenario())


def test_the_gui_process_never_imports_locust(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(REPORT)
    script = f"""
import sys
from inspector.cli.main import build_parser
build_parser()  # every subcommand's parser, load's included
from PySide6.QtWidgets import QApplication
import inspector.qt.app, inspector.qt.main_window
from inspector.qt.load.load_view import LoadRunView
from inspector.qt.load.load_run import read
app = QApplication([])
view = LoadRunView(read({str(path)!r}))
print(sorted(m for m in sys.modules
             if m.split(".")[0] in ("locust", "gevent", "zmq") or m.startswith("inspector.load")))
"""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_a_row_without_a_series_shows_its_figures_and_the_caption_reads(qtbot, tmp_path):
    """CONNECT has no per-second series (users connect once): its chart shows the run-wide
    percentiles the table has, and the header and caption wrap in the text colour."""
    from inspector.qt.load.load_run import parse
    data = json.loads(REPORT)
    data["url"] = "wss://a-very-long-host-name.example.com/api/v2/realtime?region=eu-west-1&tenant=acme-corp"
    view = LoadRunView(parse(data))
    qtbot.addWidget(view)
    view.resize(700, 600)
    view.show()
    qtbot.waitExposed(view)
    connect = next(i for i in range(view.table.rowCount()) if view.table.item(i, 0).text() == "CONNECT")
    view.table.selectRow(connect)
    assert view.shown == ("CONNECT", "ws")
    for key, value in (("p50", 14), ("p90", 16), ("p99", 16)):
        xs, ys = view.curves[key].getData()
        assert list(ys) == [value, value] and xs[0] == 0 and xs[-1] == 3.0  # across the run
    assert "whole run" in view.plot_title.text()
    assert view.plot.getAxis("left").style["showValues"]
    assert view.header.wordWrap() and view.header.height() >= view.header.heightForWidth(view.header.width())
    assert view.note.isEnabled() and view.note.isVisible()
    assert view.note.palette().color(view.note.foregroundRole()) == view.palette().color(QPalette.ColorRole.WindowText)


def test_an_empty_report_graph_has_no_axis_values(qtbot):
    from inspector.qt.load.load_run import parse
    data = json.loads(REPORT)
    data["entries"], data["series"], data["users"] = [], [], []
    view = LoadRunView(parse(data))
    qtbot.addWidget(view)
    assert not view.plot.getAxis("left").style["showValues"]
    assert not view.plot.getAxis("bottom").style["showValues"]
