"""The log with a contract and decoders: marks, summaries, the detail pane, counts, completion."""

from __future__ import annotations

import base64
import os
from importlib import resources

import msgpack
import pytest
from faulty_decoders import Hangs, Raises
from framegen import T0, event
from PySide6.QtCore import QTimer

from inspector.payloads.contract import Contract
from inspector.payloads.decoders import Registry, parse_rules
from inspector.payloads.lens import Lens, build_lens
from inspector.protocol.events import IN, FrameSeen
from inspector.qt.log.model import COL_SUMMARY
from inspector.qt.log.panel import LogPanel
from inspector.qt.log.payload_view import VIOLATION_BACKGROUND
from inspector.qt.session.subscriptions import SubscriptionEditor

CONTRACT = str(resources.files("inspector").joinpath("docs/realtime.asyncapi.yaml"))


@pytest.fixture
def panel(panel):
    """The shown log (conftest), wider, and without its lens afterwards."""
    panel.resize(1200, 600)
    yield panel
    panel.set_payloads(None)


def other_producer(seq: int, data: str) -> FrameSeen:
    """An EVENT as another server might lay it out: keys reordered, spaces, escaped slash."""
    body = f'{{ "data" : {data},\n "ts": 1764300000123, "seq": {seq}, "type": "message", "topic": "orders.eu" }}'
    return FrameSeen("c1", T0 + seq, IN, b"\x10" + body.encode(), None)


def summary(p: LogPanel, row: int) -> str:
    return p.model.data(p.model.index(row, COL_SUMMARY))


def test_violations_are_marked_counted_and_explained(panel, qtbot):
    panel.set_payloads(Lens(Contract.load(CONTRACT)))
    events = []
    for n in range(1, 3001):
        total = -n if n % 1000 == 0 else n
        events.append(event(seq=n, data={"id": f"o-{n}", "total": total}, decoded=False))
    events.append(other_producer(3001, '{"id": "o\\/x", "total": "12"}'))
    for ev in events:
        panel.ingest(ev)
    panel.flush()
    assert panel.payloads.checked == 0  # ingest read none: they come from the worker later
    qtbot.waitUntil(lambda: not panel.payloads.busy and panel.payloads.checked == 3001, timeout=20000)
    assert panel.payloads.violations == {"orders.eu": 4}
    assert "4 contract violations (orders.eu 4)" in panel.status_label.text()
    bad_rows = [r for r in range(panel.model.rowCount()) if summary(panel, r).startswith("✗")]
    assert bad_rows == [999, 1999, 2999, 3000]
    assert summary(panel, 3000).startswith("✗ /total type · ")
    colour = panel.model.data(panel.model.index(999, 0), 8)  # BackgroundRole
    assert colour == VIOLATION_BACKGROUND
    panel.view.setCurrentIndex(panel.model.index(999, 0))
    label = panel.detail.violation_label
    assert label.isVisible()
    assert "data/total" in label.text() and "<code>minimum</code> (0)" in label.text()
    assert "-1000 is less than the minimum of 0" in label.text()
    panel.view.setCurrentIndex(panel.model.index(998, 0))
    assert not label.isVisible()
    panel.clear()
    assert panel.payloads.violations == {} and "violation" not in panel.status_label.text()


def test_decoder_summary_and_tree(panel, qtbot):
    registry = Registry(plugins=False)
    panel.set_payloads(Lens(rules=parse_rules({"sensors.*": "base64+msgpack"}, registry), registry=registry))
    good = base64.b64encode(msgpack.packb({"celsius": 21.5, "ids": [1, 2]})).decode()
    panel.ingest(event(seq=1, topic="sensors.kitchen", data=good))
    panel.ingest(event(seq=2, topic="sensors.kitchen", data="@@not base64@@"))
    panel.ingest(event(seq=3, topic="orders.eu", data={"total": 1}))
    panel.flush()
    qtbot.waitUntil(lambda: panel.payloads.checked == 3, timeout=10000)
    qtbot.waitUntil(lambda: summary(panel, 0) == 'msgpack {"celsius":21.5,"ids":[1,2]}', timeout=5000)
    assert summary(panel, 1).startswith("⚠ base64: does not apply to a string · ")
    assert summary(panel, 2) == 'message {"total":1}'  # no rule for the topic: as it was
    panel.view.setCurrentIndex(panel.model.index(0, 0))
    top = panel.detail.tree.topLevelItem(0)
    assert top.text(0) == "decoded (base64+msgpack)"
    assert {top.child(i).text(0): top.child(i).text(1) for i in range(top.childCount())} == {
        "celsius": "21.5", "ids": "[2 items]"}
    panel.view.setCurrentIndex(panel.model.index(1, 0))
    top = panel.detail.tree.topLevelItem(0)
    assert (top.text(0), top.text(2)) == ("decoded (base64+msgpack)", "error")


def test_a_hanging_or_raising_decoder_leaves_the_app_running(panel, qtbot):
    hangs = Hangs()
    registry = Registry(extra=(hangs, Raises(ZeroDivisionError("division by zero"))), plugins=False)
    lens = Lens(rules=parse_rules({"slow": "hangs", "bad": "explodes"}, registry), registry=registry, timeout=0.3)
    panel.set_payloads(lens)
    ticks = []  # the GUI thread's timer ticks while the decoder hung
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1) if hangs.hanging else None)
    timer.start(20)
    try:
        panel.ingest(event(seq=1, topic="slow", data="x"))
        panel.ingest(event(seq=1, topic="bad", data="y"))
        panel.ingest(event(seq=2, topic="slow", data="z"))
        panel.flush()
        qtbot.waitUntil(lambda: panel.payloads.checked == 3, timeout=10000)
        # it hangs until released: how many ticks a loaded machine fits in the lens's 0.3 s does not matter
        qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=8000)
        assert "gave no answer within 0.3 s" in summary(panel, 0)
        assert summary(panel, 1).startswith("⚠ explodes: division by zero")
        assert "skipped (it hung on an earlier frame)" in summary(panel, 2)
    finally:
        timer.stop()
        hangs.release.set()


def test_profile_settings_make_the_lens_and_errors_are_one_line(tmp_path):
    lens = build_lens(CONTRACT, {"sensors.*": "base64+cbor"})
    try:
        assert lens.contract is not None and lens.rules[0].spec == "base64+cbor"
    finally:
        lens.close()
    with pytest.raises(ValueError, match=r"^contract: cannot read nope\.yaml"):
        build_lens(str(tmp_path / "nope.yaml"), {})
    with pytest.raises(ValueError, match=r"^decoders: unknown decoder 'lz4'"):
        build_lens("", {"x": "lz4"})


def test_the_subscription_editor_completes_topics_from_the_contract(qtbot):
    editor = SubscriptionEditor()
    qtbot.addWidget(editor)
    editor.set_contract_topics(Contract.load(CONTRACT).topic_suggestions())
    completer = editor.topic_edit.completer()
    completer.setCompletionPrefix("orders.")
    found = [completer.completionModel().index(i, 0).data() for i in range(completer.completionCount())]
    assert found == ["orders.eu", "orders.us"]


def test_a_violation_renders(panel, qtbot, tmp_path):
    """Paints the tinted rows and the detail pane; SHOTS_DIR keeps the picture."""
    panel.set_payloads(Lens(Contract.load(CONTRACT)))
    for n in range(1, 13):
        data = {"id": f"o-{n}", "total": 250 if n not in (4, 7) else -5, "items": [{"sku": "sku-kb-01", "qty": 1,
                                                                            "price": 49.0}]}
        panel.ingest(event(seq=n, data=data, t=T0 + n / 10, decoded=False))
    panel.flush()
    qtbot.waitUntil(lambda: panel.payloads.checked == 12, timeout=10000)
    panel.view.setCurrentIndex(panel.model.index(6, 0))
    qtbot.wait(50)
    picture = panel.grab()
    assert not picture.isNull()
    assert picture.save(os.path.join(os.environ.get("SHOTS_DIR") or str(tmp_path), "violation.png"))
    assert "/total" in panel.detail.violation_label.text()  # the selected row is a failing one


def test_readings_kept_are_bounded_and_a_dropped_one_is_read_again(panel, qtbot, monkeypatch):
    from inspector.qt.log import payload_view
    monkeypatch.setattr(payload_view, "READINGS_KEPT", 100)
    panel.set_payloads(Lens(Contract.load(CONTRACT)))
    for n in range(1, 3001):  # every tenth breaks the contract: 300 readings with something to show
        panel.ingest(event(seq=n, data={"id": f"o-{n}", "total": -n if n % 10 == 0 else n}, decoded=False))
    panel.flush()
    payloads = panel.payloads
    qtbot.waitUntil(lambda: not payloads.busy and payloads.checked == 3000, timeout=20000)
    assert len(payloads.readings) <= 100  # not one per row read
    assert payloads.violations == {"orders.eu": 300}
    assert 9 not in [n - panel.model.number_at(0) for n in payloads.readings]  # the first violation's was dropped
    panel.view.scrollToTop()
    qtbot.waitUntil(lambda: summary(panel, 9).startswith("✗"), timeout=20000)  # read again when shown
    assert summary(panel, 8).startswith("✗") is False
    qtbot.waitUntil(lambda: not payloads.busy)
    assert payloads.checked == 3000 and payloads.violations == {"orders.eu": 300}  # not counted again
    assert len(payloads.readings) <= 100
