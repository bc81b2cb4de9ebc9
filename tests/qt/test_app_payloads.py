"""A profile's contract on live demo traffic: the real mock, client and window."""

import os

from qasync_loop import run, until
from windows import make_window

from inspector.profiles import local_mock_profile
from inspector.qt.log.model import COL_SUMMARY, COL_TOPIC

# A team's own contract, in JSON: their orders may not exceed 100; audit.* is theirs too.
CONTRACT = """{"asyncapi": "3.0.0", "info": {"title": "shop", "version": "1"},
 "channels": {"orders": {"address": "orders.{region}", "parameters": {"region": {"enum": ["eu", "us"]}},
                         "messages": {"order": {"payload": {"type": "object", "required": ["id", "total"],
                                      "properties": {"total": {"type": "number", "maximum": 100}}}}}},
              "audit": {"address": "audit.trail", "messages": {"a": {"payload": {"type": "string"}}}}}}"""


def test_a_profiles_contract_marks_live_rows(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)
    w.resize(1500, 950)
    w.show()
    w.mock_panel.demo_check.setChecked(True)
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
        row = next(r for r in range(model.rowCount())
                   if str(model.data(model.index(r, COL_SUMMARY))).startswith("✗ /total maximum"))
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
