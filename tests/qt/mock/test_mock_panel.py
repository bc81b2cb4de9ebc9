import asyncio

import pytest
from PySide6.QtGui import QGuiApplication
from qasync_loop import run, until

from inspector.client.engine import ClientConfig, RealtimeClient
from inspector.client.tokens import TokenSource
from inspector.mock.demo import TASK_PREFIX as DEMO_TASK
from inspector.mock.server import MockConfig
from inspector.protocol.events import FrameSeen, PongMissed, RttMeasured, State
from inspector.protocol.frames import Event, try_decode
from inspector.qt.aio import Tasks
from inspector.qt.mock.mock_panel import MockPanel


@pytest.fixture
def panel(qtbot):
    tasks = Tasks()
    p = MockPanel(tasks, MockConfig(close_timeout=1.0))
    qtbot.addWidget(p)
    p.errors = []
    tasks.on_error = p.errors.append
    yield p
    if p.running:
        p.stop_server()


def _client(url, **kw) -> RealtimeClient:
    cfg = ClientConfig(url=url, token=TokenSource.literal("panel-test"), **kw)
    c = RealtimeClient(cfg, conn_id="p1")
    c.events = []
    c.add_listener(c.events.append)
    return c


def _events(c, topic):
    # the client leaves message EVENTs undecoded (frame None): decode them here
    frames = [e.frame if e.frame is not None else try_decode(e.data) for e in c.events if type(e) is FrameSeen]
    return [f for f in frames if type(f) is Event and f.topic == topic and f.type == "message"]


def test_start_stop_url_and_copy(qtbot, qloop, panel):
    assert not panel.publish_button.isEnabled()
    with qtbot.waitSignal(panel.started) as blocker:
        panel.start_button.click()
    url = blocker.args[0]
    assert url.startswith("ws://127.0.0.1:") and url.endswith("/api/v2/realtime")
    assert panel.url_edit.text() == url and panel.start_button.text() == "Stop"
    panel.copy_button.click()
    assert QGuiApplication.clipboard().text() == url

    async def scenario():
        panel.start_button.click()  # stop, through the executor
        await until(lambda: not panel.running and panel.start_button.text() == "Start", what="stopped")
    run(qloop, scenario())
    assert panel.url_edit.text() == ""


def test_publish_form_and_clients_table(qtbot, qloop, panel):
    url = panel.start_server(demo=False)
    c = _client(url)
    c.subscribe("orders.eu")

    async def scenario():
        c.start()
        await c.wait_state(State.OPEN, 5)
        await until(lambda: c.subscriptions["orders.eu"].state.value == "active", what="active")
        panel.topic_edit.setText("orders.eu")
        panel.data_edit.setText('{"total": 250}')
        panel.publish_button.click()
        await until(lambda: len(_events(c, "orders.eu")) == 1, what="published event")
        panel.refresh_stats()
        await until(lambda: panel.clients_table.rowCount() == 1, what="stats")
        assert "orders.eu" in panel.clients_table.item(0, 2).text()
        assert "1 connection(s)" in panel.stats_label.text()
        # repeat at 100/s until 20 have come
        panel.rate_spin.setValue(100)
        panel.repeat_button.setChecked(True)
        await until(lambda: len(_events(c, "orders.eu")) >= 20, what="repeated events")
        panel.repeat_button.setChecked(False)
        await c.stop()
    run(qloop, scenario())
    assert _events(c, "orders.eu")[0].data == {"total": 250}
    assert not panel.errors


def test_publish_form_validation(qtbot, qloop, panel):
    panel.start_server(demo=False)
    panel.topic_edit.setText("Bad Topic")
    assert not panel.publish_button.isEnabled() and "topic" in panel.publish_error.text()
    panel.topic_edit.setText("ok")
    panel.data_edit.setText("{nope")
    assert not panel.publish_button.isEnabled() and "not JSON" in panel.publish_error.text()
    panel.data_edit.setText("[1, 2]")
    assert panel.publish_button.isEnabled()


@pytest.mark.parametrize("button, code", [("restart_button", 1001), ("expire_button", 4401),
                                          ("internal_button", 1011)])
def test_fault_buttons_close_with_code(qtbot, qloop, panel, button, code):
    url = panel.start_server(demo=False)
    c = _client(url, auto_reconnect=False)
    c.subscribe("t")

    async def scenario():
        c.start()
        await c.wait_state(State.OPEN, 5)
        getattr(panel, button).click()
        ev = await c.wait_state(State.CLOSED, 5)
        assert ev.code == code
        await c.stop()
        await until(lambda: len(panel.tasks) == 0, 5, "the panel's fault task reports")  # it may finish later
    run(qloop, scenario())


def test_pong_toggle_and_latency(qtbot, qloop, panel):
    url = panel.start_server(demo=False)
    c = _client(url, pong_timeout=0.2)
    c.subscribe("t")

    async def scenario():
        c.start()
        await c.wait_state(State.OPEN, 5)
        panel.latency_spin.setValue(150)
        c.ping()
        rtt = await c.wait_event(lambda e: type(e) is RttMeasured, 3)
        assert rtt.rtt >= 0.14
        panel.latency_spin.setValue(0)
        panel.pongs_check.setChecked(True)
        c.ping()
        await c.wait_event(lambda e: type(e) is PongMissed, 3)
        panel.pongs_check.setChecked(False)
        c.ping()
        await c.wait_event(lambda e: type(e) is RttMeasured, 3)
        assert panel.server_thread.server.latency == 0.0  # the added latency is gone again
        await c.stop()
    run(qloop, scenario())


async def _publish_marker(panel, c, n: int) -> int:
    """Publish ``{"marker": n}`` on "ticker" in the server's thread; its seq, once the client has it.

    The client reads its connection in order: every ticker event published before the marker
    has arrived by then."""
    thread = panel.server_thread
    _, seq = await asyncio.get_running_loop().run_in_executor(None, thread.call, thread.server.publish,
                                                              "ticker", {"marker": n})
    await until(lambda: any(e.data == {"marker": n} for e in _events(c, "ticker")), what=f"marker {n}")
    return seq


def _demo_tasks(panel) -> list[str]:
    """The demo's traffic tasks still on the server's loop (none: nothing can publish demo traffic)."""
    thread = panel.server_thread
    return thread.call(lambda: [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith(DEMO_TASK)])


def test_demo_toggle(qtbot, qloop, panel):
    url = panel.start_server(demo=False)
    c = _client(url)
    c.subscribe("ticker")

    async def scenario():
        c.start()
        await until(lambda: c.subscriptions["ticker"].state.value == "active", what="active")
        # the first thing ever published on the topic: no demo ticker before it
        assert await _publish_marker(panel, c, 1) == 1 and len(_events(c, "ticker")) == 1
        panel.demo_check.setChecked(True)
        await until(lambda: len(_events(c, "ticker")) >= 4, what="demo ticker")
        panel.demo_check.setChecked(False)
        await until(lambda: not _demo_tasks(panel), what="the demo's tasks ended")
        assert panel.server_thread.call(lambda: panel.server_thread.server.stats()["demo"]) is False
        n = len(_events(c, "ticker"))
        seq = await _publish_marker(panel, c, 2)
        # the demo's last event came before the marker and nothing came between
        assert len(_events(c, "ticker")) == n + 1 and _events(c, "ticker")[-2].seq == seq - 1
        await c.stop()
    run(qloop, scenario())


def test_restart_from_the_panel_keeps_the_port(qtbot, qloop, panel):
    assert panel.port_spin.value() == 0
    url = panel.start_server(demo=False)
    port = panel.port_spin.value()
    assert port != 0 and f":{port}/" in url

    async def scenario():
        await panel.stop_async()
    run(qloop, scenario())
    assert panel.start_server(demo=False) == url
