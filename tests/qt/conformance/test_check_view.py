""""Check server…" in the app: a conformance run against the embedded mock (with a fault switched
on) in the background; the failed row opens its recording with the offending frame selected."""

from __future__ import annotations

import asyncio
import dataclasses
import xml.etree.ElementTree as ET

from qasync_loop import run, until
from windows import close_window, make_window

from inspector.conformance.report import Outcome
from inspector.profiles import local_mock_profile
from inspector.qt.conformance.check_view import COL_CASE, COL_OUTCOME, COL_RULES, CheckView

TOKEN = "check-view-token-77ab"


def profile():
    return dataclasses.replace(local_mock_profile(), token=TOKEN)


def test_check_server_shows_results_by_rule_and_opens_the_failed_frame(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path, faults=("wrong-error-code",))
    w.manager.editor.load(profile())
    views = []
    w.manager.check_requested.connect(lambda _p: views.append(w.current_document()))
    w.manager.check_button.click()

    async def go():
        await until(lambda: views and isinstance(views[0], CheckView), what="the check document")
        view = views[0]
        assert w.documents.currentWidget() is view and view.running
        await asyncio.wait_for(asyncio.shield(view.task), 60)
        t = view.table
        rows = {t.item(r, COL_CASE).text(): r for r in range(t.rowCount())}
        assert t.rowCount() == len(view.cases) and view.progress.value() == len(view.cases)
        failed = [c for c, r in rows.items() if t.item(r, COL_OUTCOME).text() == "fail"]
        assert failed == ["error-unknown-kind"]
        assert t.item(rows["error-unknown-kind"], COL_RULES).text() == "RT-ERR-3"
        assert view.report.exit_code() == 1 and "1 fail" in view.summary.text()
        # the failed row opens its recording as a document, offending frame selected
        t.cellDoubleClicked.emit(rows["error-unknown-kind"], 0)
        await until(lambda: w.recording.views, timeout=10, what="the recording document")
        doc = w.recording.views[0]
        assert w.documents.currentWidget() is doc
        await until(lambda: doc.log_panel.view.currentIndex().isValid(), what="a selected row")
        panel = doc.log_panel
        i = panel.model.store_index(panel.view.currentIndex().row())
        data = panel.rows.data(i)
        assert data[0] == 0xFF and b"bad_frame" in data and panel.rows.direction(i) == "in"
        # results saved as JUnit, without a dialog blocking the loop
        out = tmp_path / "conform.xml"
        assert view.save(out, "junit")
        suite = ET.parse(out).getroot().find("testsuite")
        assert suite.get("failures") == "1" and suite.get("tests") == str(len(view.cases))
        assert TOKEN not in out.read_text()
        await close_window(w, stop_recording=True)
    run(qloop, go(), timeout=90)


def test_cancel_stops_the_run_and_closing_the_document_lets_go(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)
    view = w.check_server(profile())
    assert isinstance(view, CheckView)
    # Cancel as the first result comes in: a run against the local mock can finish within one poll
    view.progress.valueChanged.connect(lambda done: done == 1 and view.cancel_button.click())

    async def go():
        await until(lambda: view.results, what="a first result")
        await asyncio.gather(view.task, return_exceptions=True)
        assert view.task.cancelled() and "cancelled after" in view.summary.text()
        assert len(view.results) < len(view.cases) and view.json_button.isEnabled()
        assert all(r.outcome is not Outcome.ERROR for r in view.results)
        assert view.save(tmp_path / "partial.json", "json")
        w.close_document(w.documents.indexOf(view))
        await close_window(w, stop_recording=True)
    run(qloop, go(), timeout=60)
