"""A load run's captions in a narrow window: wrapped whole, not cut off, and readable."""

from __future__ import annotations

import json

from PySide6.QtGui import QColor, QPalette

from inspector.qt.load.load_run import FORMAT, read
from inspector.qt.load.load_view import LoadRunView

REPORT = {"format": FORMAT, "version": 1, "url": "ws://127.0.0.1:8765/api/v2/realtime",
          "started": "2026-12-01T10:00:00Z", "duration_s": 3.0, "peak_users": 12, "target_users": 12, "workers": 2,
          "clock_note": "lag is the receiver's clock minus the event's ts",
          "entries": [{"kind": "EVENT", "name": "ticker", "requests": 95, "failures": 1, "p50": 3}],
          "series": [{"kind": "EVENT", "name": "ticker", "t": 0, "count": 40, "p50": 2, "p90": 5, "p99": 9}],
          "total": {"name": "Aggregated", "requests": 95, "failures": 1}}


def _luminance(c: QColor) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())


def contrast(a: QColor, b: QColor) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_captions_wrap_whole_and_the_clock_note_is_readable(qtbot, tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(REPORT))
    view = LoadRunView(read(str(path)))
    qtbot.addWidget(view)
    view.resize(520, 600)
    view.show()
    qtbot.waitExposed(view)
    assert view.width() == 520  # no caption holds the view wider than its place
    assert "1 failure" in view.header.text() and "1 failures" not in view.header.text()
    for label in (view.header, view.note, view.plot_title):
        assert label.text() and label.wordWrap()
        assert label.width() <= view.width()
        assert label.heightForWidth(label.width()) <= label.height(), label.text()  # every line shown
    assert view.header.height() > view.header.fontMetrics().height()  # it did wrap, onto a second line
    group = QPalette.ColorGroup.Active if view.note.isEnabled() else QPalette.ColorGroup.Disabled
    fg = view.note.palette().color(group, view.note.foregroundRole())
    bg = view.palette().color(QPalette.ColorGroup.Active, view.backgroundRole())
    assert contrast(fg, bg) >= 4.5  # WCAG AA for body text
