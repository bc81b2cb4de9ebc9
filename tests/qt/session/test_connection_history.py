"""Connection history in the window: closes, reconnects, refused connects and framing violations
become log rows (found by search, kind and connection), are recorded, exported and shown again;
the header says why a connection fails and when PONGs are overdue, and the status bar agrees."""

from __future__ import annotations

import io
import socket

import pytest
from broken_server import INSIDE_FRAGMENTS, BrokenServer
from qasync_loop import run, until
from windows import close_window, make_window

from inspector.cli.replay_args import ReplayArgs
from inspector.cli.replay_cmd import run_replay
from inspector.logstore.frame_store import KIND_SESSION
from inspector.profiles import Profile, local_mock_profile
from inspector.protocol.events import State, SubState
from inspector.qt import main_window
from inspector.qt.log.model import COL_CONN, COL_KIND, COL_SUMMARY
from inspector.qt.log.panel import CONNECTION_KIND
from inspector.qt.main_window import MainWindow
from inspector.qt.session import connection_tab

TOKEN = "history-test-token"


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(main_window, "MESSAGE_MS", 50)  # passing messages give way to the state quickly
    return make_window(qtbot, tmp_path)


@pytest.fixture
def quick_reconnect(monkeypatch):
    """Reconnect waits of 0.05 s, for tests where the wait is a row, not a countdown to watch."""
    config = connection_tab.client_config

    def short_backoff(p, url, **overrides):
        return config(p, url, **{"backoff_initial": 0.05, **overrides})
    monkeypatch.setattr(connection_tab, "client_config", short_backoff)


def session_summaries(w: MainWindow) -> list[str]:
    s = w.log_panel.store
    return [s.summary(i) for i in range(len(s)) if s.is_session(i)]


def shown(w: MainWindow, col: int = COL_SUMMARY) -> list[str]:
    m = w.log_panel.model
    return [m.data(m.index(r, col)) for r in range(m.rowCount())]


def find(w: MainWindow, text: str) -> list[str]:
    w.log_panel.text_edit.setText(text)
    w.log_panel.apply_filter()
    found = shown(w)
    w.log_panel.text_edit.clear()
    w.log_panel.apply_filter()
    return found


def only_connection_kind(w: MainWindow, on: bool = True) -> None:
    for name, act in w.log_panel.kind_actions.items():
        act.setChecked(name == CONNECTION_KIND or not on)


def profile(url: str, **fields) -> Profile:
    return Profile(name=fields.pop("name", "history"), url=url, token=TOKEN, ping_interval=0.0, **fields)


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


def status_matches_header(w: MainWindow, tab) -> bool:
    return w.status_label.text() == f"{tab.conn_id} · {tab.profile.name}: {tab.state_view.text()}"


@pytest.mark.usefixtures("quick_reconnect")
def test_close_and_reconnect_are_rows_found_by_search_and_kind(qtbot, qloop, window):
    w = window

    async def scenario():
        tab = w.open_connection(local_mock_profile())
        await until(lambda: tab.client.state is State.OPEN, 10, "open")
        # active before the restart: only an active subscription goes back to pending when it ends
        await until(lambda: bool(tab.client.subscriptions) and all(
            s.state is SubState.ACTIVE for s in tab.client.subscriptions.values()), 10, "subscribed")
        w.mock_panel.restart_button.click()  # the server closes every connection with 1001
        await until(lambda: tab.client.stats.connects == 2 and tab.client.state is State.OPEN, 10, "reconnected")
        await until(lambda: session_summaries(w).count("open") == 2, 5, "the second open row")
        await close_window(w)
        return tab
    tab = run(qloop, scenario())
    w.log_panel.flush()
    rows = session_summaries(w)
    closed = next(r for r in rows if r.startswith("closed 1001 — Going away"))
    assert closed.endswith("reason: server restart")
    after = [r for r in rows[rows.index(closed):] if not r.startswith("subscription")]
    assert after[1].startswith("waiting — reconnect attempt 1 in ")
    assert after[2:4] == ["connecting (reconnect attempt 1)", "open"]
    assert "subscription ticker pending (connection ended)" in rows
    assert any(r.startswith("subscription ticker active") for r in rows)
    assert closed in find(w, "close") and closed in find(w, "GOING AWAY")
    only_connection_kind(w)
    assert set(shown(w, COL_KIND)) == {"CONNECTION"} and closed in shown(w)
    assert shown(w)[:2] == ["connecting", "open"]
    only_connection_kind(w, on=False)
    conn = w.log_panel.conn_combo
    assert tab.conn_id in [conn.itemData(i) for i in range(conn.count())]
    # the rows are in the log's own order among the frames: the close comes after frames of the first connection
    s = w.log_panel.store
    kinds = [s.kind(i) for i in range(len(s))]
    assert kinds[0] == KIND_SESSION and kinds.count(KIND_SESSION) == len(rows) < len(kinds)


def test_refused_connect_says_why_in_row_header_and_status_bar(qtbot, qloop, window):
    w = window
    port = closed_port()

    async def scenario():
        tab = w.open_connection(profile(f"ws://127.0.0.1:{port}/api/v2/realtime", name="nowhere"))
        await until(lambda: any("refused" in r for r in session_summaries(w)), 10, "a refused-connect row")
        await until(lambda: tab.state_view.last.state is State.WAITING, 5, "waiting")
        header = tab.state_view.text()
        assert header.startswith("waiting — reconnect attempt 1 in ") and "refused" in header, header
        # the header counts down and the status bar says the same on every tick
        await until(lambda: status_matches_header(w, tab), 2, "the status bar on the state")
        seen = set()
        for _ in range(4):
            await until(lambda: tab.state_view.text() not in seen, 2, "the next tick")
            seen.add(tab.state_view.text())
            assert status_matches_header(w, tab), (w.status_label.text(), tab.state_view.text())
        await close_window(w)
        return tab
    tab = run(qloop, scenario())
    w.log_panel.flush()
    refused = [r for r in session_summaries(w) if "refused" in r]
    assert refused[0].startswith("closed — connect failed: ") and "refused" in refused[0]
    conn = w.log_panel.conn_combo
    conns = [conn.itemData(i) for i in range(conn.count())]
    assert tab.conn_id in conns and w.log_panel.frame_count() == 0  # never opened, still there
    conn.setCurrentIndex(conns.index(tab.conn_id))
    assert set(shown(w, COL_CONN)) == {tab.conn_id} and any("refused" in r for r in shown(w))


def test_server_framing_violation_is_a_row_with_its_close_code(qtbot, qloop, window):
    w = window
    server = BrokenServer(INSIDE_FRAGMENTS)
    violation = "server sent a data frame inside a fragmented message"
    try:
        async def scenario():
            tab = w.open_connection(profile(server.url, name="broken"))
            await until(lambda: any(violation in r for r in session_summaries(w)), 10, "the violation row")
            await close_window(w)
            return tab
        tab = run(qloop, scenario())
    finally:
        server.stop()
    w.log_panel.flush()
    row = next(r for r in find(w, "fragmented") if violation in r)
    assert row.startswith("closed 1002 — ") and row.count("1002") == 1, row  # the code is said once
    s = w.log_panel.store
    i = next(i for i in range(len(s)) if s.is_session(i) and violation in s.summary(i))
    ev = s.session_event(i)
    assert ev.code == 1002 and ev.conn == tab.conn_id and violation in ev.message
    w.log_panel.view.selectRow(w.log_panel.model.row_of_number(s.number(i)))
    assert violation in w.log_panel.detail.error_label.text()
    assert server.codes and set(server.codes) == {1002}


@pytest.mark.usefixtures("quick_reconnect")
def test_rows_are_recorded_exported_and_shown_again_by_replay_and_the_app(qtbot, qloop, window, tmp_path):
    w = window
    ui = w.recording
    exported = tmp_path / "exported.rirec"
    har = tmp_path / "exported.har"

    async def scenario():
        ui.record_action.trigger()
        ui.save_dialog.accept()  # where to save: the prefilled folder and name
        await until(lambda: ui.recorder.active, 2, "recording")
        tab = w.open_connection(local_mock_profile())
        await until(lambda: tab.client.state is State.OPEN, 10, "open")
        w.mock_panel.restart_button.click()
        await until(lambda: tab.client.stats.connects == 2 and tab.client.state is State.OPEN, 10, "reconnected")
        w.log_panel.flush()
        path = ui.recorder.path
        saved: list[str] = []
        ui.recorder.stopped.connect(saved.append)
        ui.record_action.trigger()
        await until(lambda: saved, 10, "the recording complete")
        done: list[str] = []
        ui.exported.connect(done.append)
        assert ui.export(exported)
        await until(lambda: done, 10, "the export written")
        assert ui.export(har)
        await until(lambda: len(done) == 2, 10, "the HAR written")
        await tab.client.stop()
        return path
    recorded = run(qloop, scenario())
    closed = "closed 1001 — Going away"
    for path in (recorded, exported, har):
        out = io.StringIO()
        assert run_replay(ReplayArgs(file=str(path), json=False, speed=0.0), out, io.StringIO()) == 0
        lines = out.getvalue().splitlines()
        assert any(closed in line for line in lines), (path.name, lines[:20])
        assert any("waiting — reconnect attempt 1 in" in line for line in lines)
    # opened in the app, the recording shows the same connection rows
    with qtbot.waitSignal(ui.opened, timeout=20000):
        ui.open_path(str(exported))
    qtbot.waitUntil(lambda: any(closed in r for r in session_summaries(w)), timeout=5000)
    only_connection_kind(w)
    assert any(closed in r for r in shown(w)) and "open" in shown(w)
    run(qloop, close_window(w))


def test_pong_overdue_counts_and_marks_the_rtt_stale(qtbot, qloop, window, monkeypatch):
    w = window
    scaled = connection_tab.client_config

    def fast_pongs(p, url, **overrides):
        return scaled(p, url, **{"pong_timeout": 0.15, **overrides})
    monkeypatch.setattr(connection_tab, "client_config", fast_pongs)
    p = local_mock_profile()
    p.ping_interval = 0.2
    p.subscriptions = []

    async def scenario():
        tab = w.open_connection(p)
        await until(lambda: tab.client.stats.last_rtt is not None, 10, "an RTT")
        assert "stale" not in tab.counters.text() and "PONG overdue" not in tab.state_view.text()
        w.mock_panel.pongs_check.setChecked(True)  # the mock stops answering PINGs
        await until(lambda: "PONG overdue" in tab.state_view.text(), 5, "PONG overdue")
        assert tab.state_view.text().startswith("open — PONG overdue ")
        assert "stale" in tab.counters.text() and tab.state_view.rtt_stale
        texts = set()
        for _ in range(3):  # a live count, the same in the status bar on every tick
            await until(lambda: tab.state_view.text() not in texts, 2, "the count to move")
            texts.add(tab.state_view.text())
            assert status_matches_header(w, tab), (w.status_label.text(), tab.state_view.text())
        assert any("PONG missed" in r for r in session_summaries(w))
        w.mock_panel.pongs_check.setChecked(False)  # answered again: the count goes
        await until(lambda: "PONG overdue" not in tab.state_view.text(), 5, "the count gone")
        assert "stale" not in tab.counters.text() and status_matches_header(w, tab)
        await close_window(w)
    run(qloop, scenario())
