"""A profile's contract on live demo traffic: the real mock, client and window."""

import os
from dataclasses import replace

from qasync_loop import run, until
from windows import close_window, make_window

from inspector.profiles import local_mock_profile
from inspector.protocol.describe import CONNECTION_KIND
from inspector.qt.log.model import COL_CONN, COL_KIND, COL_SUMMARY, COL_TOPIC

# A team's own contract, in JSON: their orders may not exceed 100; audit.* is theirs too.
CONTRACT = """{"asyncapi": "3.0.0", "info": {"title": "shop", "version": "1"},
 "channels": {"orders": {"address": "orders.{region}", "parameters": {"region": {"enum": ["eu", "us"]}},
                         "messages": {"order": {"payload": {"type": "object", "required": ["id", "total"],
                                      "properties": {"total": {"type": "number", "maximum": 100}}}}}},
              "audit": {"address": "audit.trail", "messages": {"a": {"payload": {"type": "string"}}}}}}"""


def _demo_window(qtbot, tmp_path):
    """The app, shown, its embedded mock sending the demo traffic."""
    w = make_window(qtbot, tmp_path)
    w.resize(1500, 950)
    w.show()
    w.mock_panel.demo_check.setChecked(True)
    return w


def test_a_profiles_contract_marks_live_rows(qtbot, qloop, tmp_path):
    w = _demo_window(qtbot, tmp_path)
    doc = tmp_path / "shop.asyncapi.json"
    doc.write_text(CONTRACT)
    profile = local_mock_profile()
    profile.asyncapi = str(doc)

    async def scenario():
        import asyncio
        tab = w.open_connection(profile)
        panel = w.log_panel
        assert panel.payloads is not None
        assert "audit.trail" in tab.editor.topic_choices() and "orders.us" in tab.editor.topic_choices()
        await until(lambda: panel.payloads.violations.get("orders.eu", 0) >= 2, 15, "violations on orders.eu")
        assert "ticker" not in panel.payloads.violations  # no channel for it: nothing to keep
        assert "contract violation" in panel.status_label.text()
        model = panel.model

        def marked() -> int | None:
            return next((r for r in range(model.rowCount())
                         if str(model.data(model.index(r, COL_SUMMARY))).startswith("✗ /total maximum")), None)

        # the table follows the store within MAX_SYNC_GAP while the GUI thread is busy: the row may come a turn later
        await until(lambda: marked() is not None, 15, "a row marked with its violation")
        row = marked()
        assert row is not None
        assert model.data(model.index(row, COL_TOPIC)) in ("orders.eu", "orders.us")
        panel.set_following(False)
        panel.view.setCurrentIndex(model.index(row, 0))
        assert "rule <code>maximum</code> (100)" in panel.detail.violation_label.text()
        shots = os.environ.get("SHOTS_DIR")
        if shots:
            w.mock_panel.demo_check.setChecked(False)
            await asyncio.sleep(0.3)
            panel.view.scrollTo(model.index(row, 0))
            w.grab().save(os.path.join(shots, "app-violation.png"))
        w.closed = asyncio.get_running_loop().create_future()
        w.close()
        await asyncio.wait_for(w.closed, 10)
    run(qloop, scenario())
    assert w.log_panel.payloads is None


def _shot(w, name: str) -> None:
    shots = os.environ.get("SHOTS_DIR")
    if shots:
        w.grab().save(os.path.join(shots, name))


def _connection_rows(model, conn: str, text: str) -> list[int]:
    """The log's connection rows of ``conn`` whose summary holds ``text``."""
    return [r for r in _conn_rows(model, conn) if model.data(model.index(r, COL_KIND)) == CONNECTION_KIND
            and text in str(model.data(model.index(r, COL_SUMMARY)))]


def _conn_rows(model, conn: str) -> list[int]:
    return [r for r in range(model.rowCount()) if model.data(model.index(r, COL_CONN)) == conn]


def test_each_connection_is_read_with_its_own_profiles_contract(qtbot, qloop, tmp_path):
    """Two connections to the demo: the one whose profile has a contract gets violations, the
    Local mock's rows (no contract) get none, and the status counts each connection's."""
    w = _demo_window(qtbot, tmp_path)
    doc = tmp_path / "shop.asyncapi.json"
    doc.write_text(CONTRACT)
    plain = local_mock_profile()
    checked = replace(local_mock_profile(), name="Shop", asyncapi=str(doc))

    async def scenario():
        first = w.open_connection(plain)
        second = w.open_connection(checked)
        panel = w.log_panel
        await until(lambda: panel.payloads.conn_violations.get(second.conn_id, {}).get("orders.eu", 0) >= 2, 15,
                    "violations on the Shop connection")
        model = panel.model
        await until(lambda: len(_conn_rows(model, first.conn_id)) > 50, 15, "rows of the plain connection")
        assert first.conn_id not in panel.payloads.conn_violations
        marked = [r for r in _conn_rows(model, first.conn_id)
                  if str(model.data(model.index(r, COL_SUMMARY))).startswith("✗")]
        assert marked == []
        status = panel.status_label.text()
        assert f"{second.conn_id}: " in status and "contract violation" in status
        assert f"{first.conn_id}: " not in status
        _shot(w, "app-contract-per-connection.png")
        await close_window(w)
    run(qloop, scenario())


def test_decoders_failing_at_run_time_show_in_the_status_bar_and_the_tab(qtbot, qloop, tmp_path):
    w = _demo_window(qtbot, tmp_path)
    wrong = replace(local_mock_profile(), name="Wrong", decoders={"ticker": "msgpack"})  # ticker sends JSON
    gone = replace(local_mock_profile(), name="Gone", asyncapi=str(tmp_path / "moved.yaml"))

    async def scenario():
        tab = w.open_connection(wrong)
        await until(lambda: tab.payload_warning.isVisible(), 15, "the tab's payload warning")
        assert tab.payload_warning.text().startswith("⚠ decoders msgpack failed on ticker: msgpack: does not apply")
        assert "decoders msgpack failed on ticker" in w.status_label.text()
        assert "decoders msgpack failed on ticker" in w.errors[-1]
        model = w.log_panel.model
        await until(lambda: _connection_rows(model, tab.conn_id, "payloads: decoders msgpack failed on ticker"),
                    10, "the connection row")
        other = w.open_connection(gone)  # saved before its contract was moved away
        assert other.payload_warning.isVisible() and "cannot read moved.yaml" in other.payload_warning.text()
        assert "cannot read moved.yaml" in w.status_label.text()
        await until(lambda: _connection_rows(model, other.conn_id, "cannot read moved.yaml"), 10, "its row")
        [row] = _connection_rows(model, other.conn_id, "cannot read moved.yaml")
        w.log_panel.set_following(False)
        w.log_panel.view.setCurrentIndex(model.index(row, 0))
        assert w.log_panel.detail.error_label.isVisibleTo(w.log_panel.detail)  # shown as trouble
        w.conn_tabs.setCurrentWidget(tab)
        _shot(w, "app-decoders-failing.png")
        await close_window(w)
    run(qloop, scenario())
