""""Check server…" answers in the window: controls for slow and opt-in cases, how to publish and where
failed cases' recordings go, instead of texts that name command-line flags; and a dead port (a real
closed port on 127.0.0.1) said once, with tail's failure line, every case skipped with that reason."""

from __future__ import annotations

import asyncio
import re
import shlex
import socket
import sys
from pathlib import Path

from PySide6.QtWidgets import QFileDialog
from qasync_loop import run, until
from windows import close_window, make_window

from inspector.client.tokens import TokenSource
from inspector.conformance.conform import server_cases
from inspector.conformance.report import Outcome
from inspector.profiles import Profile
from inspector.qt.aio import Tasks
from inspector.qt.conformance.check_options import NO_PUBLISHING, VIA_COMMAND, VIA_MOCK
from inspector.qt.conformance.check_view import COL_CASE, COL_DETAILS, COL_OUTCOME, CheckView, control_url_for

TOKEN = "check-options-token-4d20"
FLAGS = re.compile(r"--[a-z]")


def _view(qtbot, url: str, artifacts: Path, cases: list[str], control: bool = True) -> CheckView:
    view = CheckView("mock", url, TokenSource.literal(TOKEN), Tasks(), timeout=1.0, artifacts=artifacts,
                     control_url=control_url_for(url) if control else None)
    view.cases = server_cases(cases)
    qtbot.addWidget(view)
    return view


def _rows(view: CheckView) -> dict[str, tuple[str, str]]:
    t = view.table
    return {t.item(r, COL_CASE).text(): (t.item(r, COL_OUTCOME).text(), t.item(r, COL_DETAILS).text())
            for r in range(t.rowCount())}


async def _finished(view: CheckView, clicked: bool = False) -> None:
    if clicked:
        view.options_bar.run_button.click()
    else:
        view.start()
    assert not view.options_bar.run_button.isEnabled()  # settings hold still while it runs
    await asyncio.wait_for(asyncio.shield(view.task), 60)
    assert view.options_bar.run_button.isEnabled()


def test_skipped_cases_point_at_the_controls_and_publishing_goes_through_the_embedded_mock(qtbot, qloop, tmp_path,
                                                                                             mock_server):
    server = mock_server(tokens=frozenset({TOKEN}))
    view = _view(qtbot, server.url, tmp_path / "checks", ["filter-replace", "idle-close", "connection-limit"])
    bar = view.options_bar
    assert bar.publish_combo.currentText() == VIA_MOCK and not bar.command_edit.isVisibleTo(bar)
    assert bar.artifacts_edit.text() == str(tmp_path / "checks")

    async def scenario():
        await _finished(view)
        first = _rows(view)
        bar.publish_combo.setCurrentText(NO_PUBLISHING)
        await _finished(view, clicked=True)
        return first, _rows(view)
    first, second = run(qloop, scenario(), timeout=90)
    assert first["filter-replace"][0] == "pass"  # published through the mock's control channel
    assert first["idle-close"] == ("skipped", "slow case (waits on the protocol's long timers): "
                                              "tick “Slow cases” and run again")
    assert first["connection-limit"] == ("skipped", "opt-in: tick “Opt-in cases” and run again")
    assert second["filter-replace"] == ("skipped", "needs a way to publish: choose a way under “Publish through” "
                                                   "and run again")
    assert not any(FLAGS.search(details) for _, details in [*first.values(), *second.values()])


def test_publishing_through_a_command_and_a_chosen_recordings_folder(qtbot, qloop, tmp_path, mock_server):
    server = mock_server(tokens=frozenset({TOKEN}), faults=("wrong-error-code",))
    view = _view(qtbot, server.url, tmp_path / "checks", ["filter-replace", "error-unknown-kind"], control=False)
    bar = view.options_bar
    assert not bar.publish_combo.model().item(1).isEnabled()  # no embedded mock behind this URL
    assert bar.publish_combo.currentText() == NO_PUBLISHING
    bar.publish_combo.setCurrentText(VIA_COMMAND)
    assert bar.command_edit.isVisibleTo(bar)
    cli = shlex.quote(str(Path(sys.executable).parent / "realtime-inspector"))
    bar.command_edit.setText(f"{cli} publish {server.url} --token {TOKEN} {{topic}} {{data}}")
    dialog = bar.choose_artifacts()
    assert isinstance(dialog, QFileDialog) and dialog.isVisible() and bar.dialog is dialog  # open(), not exec()
    dialog.fileSelected.emit(str(tmp_path / "elsewhere"))  # what choosing a folder does
    dialog.reject()
    assert bar.artifacts_edit.text() == str(tmp_path / "elsewhere")

    run(qloop, _finished(view), timeout=90)
    rows = _rows(view)
    assert rows["filter-replace"][0] == "pass" and rows["error-unknown-kind"][0] == "fail"
    [folder] = (tmp_path / "elsewhere").iterdir()
    assert folder.name.startswith("mock-") and (folder / "error-unknown-kind" / "frames.arrows").is_file()
    assert not (tmp_path / "checks").exists()


def test_check_server_against_a_dead_port_says_once_that_it_cannot_be_reached(qtbot, qloop, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    w = make_window(qtbot, tmp_path)
    profile = Profile(name="dead", url=f"ws://127.0.0.1:{port}/api/v2/realtime", token=TOKEN, ping_interval=0.0)

    async def scenario():
        view = w.check_server(profile)
        assert isinstance(view, CheckView)
        await asyncio.wait_for(asyncio.shield(view.task), 30)
        await until(lambda: not view.running, what="the run's end")
        shown = (view.summary.text(), view.summary.styleSheet(), _rows(view), view.report)
        await close_window(w, stop_recording=True)
        return shown
    summary, style, rows, report = run(qloop, scenario(), timeout=60)
    line = f"connection refused by 127.0.0.1:{port}"
    assert summary == f"the server cannot be reached: {line}; {len(server_cases())} cases skipped"
    assert "#b71c1c" in style  # said once, prominently, above the rows
    assert set(rows.values()) == {("skipped", "the server cannot be reached")}
    assert len(rows) == len(server_cases()) and report.exit_code() == 2
    assert all(r.outcome is Outcome.SKIPPED and r.artifact is None for r in report.results)
    assert not re.search(r"(?i)errno|error\b|connectionrefused", summary + "".join(d for _, d in rows.values()))


def test_a_failed_cases_recording_is_a_session_folder_the_app_opens_at_the_offending_frame(qtbot, qloop, tmp_path,
                                                                                           mock_server):
    from PySide6.QtCore import Qt

    from inspector.logstore.store_source import store_folder
    from inspector.qt.conformance.launch import open_artifact
    from inspector.qt.recording.recording_view import RecordingView

    server = mock_server(tokens=frozenset({TOKEN}), faults=("wrong-error-code",))
    w = make_window(qtbot, tmp_path)
    view = _view(qtbot, server.url, tmp_path / "checks", ["error-unknown-kind"], control=False)
    view.open_artifact.connect(lambda path, frame: open_artifact(w, w.recording, path, frame))
    opened: list[RecordingView] = []
    w.recording.opened.connect(opened.append)

    async def scenario():
        await _finished(view)
        [result] = view.report.results
        assert result.outcome is Outcome.FAIL and result.frame is not None
        assert store_folder(result.artifact) == Path(result.artifact) and TOKEN not in Path(result.artifact).name
        view.table.setCurrentCell(0, COL_CASE)
        qtbot.keyClick(view.table, Qt.Key.Key_Return)  # activates the row, as a double click does
        await until(lambda: opened and opened[0].log_panel.view.currentIndex().isValid(), what="the frame selected")
        panel = opened[0].log_panel
        row = panel.view.currentIndex().row()
        i = panel.model.store_index(row)
        frames_before = sum(1 for r in range(row) if not panel.rows.is_session(panel.model.store_index(r)))
        shown = (str(opened[0].recording.path), frames_before, panel.rows.data(i))
        await close_window(w, stop_recording=True)
        return result, shown
    result, (path, frames_before, data) = run(qloop, scenario(), timeout=90)
    assert path == result.artifact and frames_before == result.frame
    assert TOKEN.encode() not in data
