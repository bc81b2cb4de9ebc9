"""The main window's layout holds from 1024×700 up, and setting up a connection has no traps."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget
from qasync_loop import run, until
from windows import close_window, make_window, settle_layouts

from inspector.mock.server import MockServer
from inspector.profiles import LOCAL_MOCK, local_mock_profile
from inspector.protocol.events import State
from inspector.qt.aio import Tasks
from inspector.qt.app import dark_palette
from inspector.qt.latency.latency_plot import LatencyPlot
from inspector.qt.log.model import COLUMNS
from inspector.qt.mock.mock_panel import CLIENT_COLUMNS, MockPanel


def _fully_visible_across(widget: QWidget, area: QScrollArea) -> bool:
    """``widget`` lies within the scroll area's viewport from left to right."""
    rect = QRect(widget.mapTo(area.viewport(), widget.rect().topLeft()), widget.size())
    return rect.left() >= 0 and rect.right() <= area.viewport().width()


def _mock_controls(panel: MockPanel) -> list[QWidget]:
    return [panel.port_spin, panel.start_button, panel.copy_button, panel.publish_button, panel.repeat_button,
            panel.expire_button, panel.restart_button, panel.internal_button]


@pytest.mark.parametrize("width", [260, 300])  # the side column at 1024 px and by default
def test_mock_panel_reflows_in_a_narrow_column(qtbot, width):
    panel = MockPanel(Tasks())
    panel.start_server()  # running: the URL and the stats line are as long as they get
    thread = panel.server_thread
    panel.show_stats(thread.call(MockServer.stats, thread.server))
    area = QScrollArea()
    area.setWidget(panel)
    area.setWidgetResizable(True)
    qtbot.addWidget(area)
    area.resize(width, 700)
    area.show()
    qtbot.waitExposed(area)
    assert not area.horizontalScrollBar().isVisible()
    assert all(_fully_visible_across(w, area) for w in _mock_controls(panel))
    panel.stop_server()


@pytest.mark.parametrize("size", [(1600, 1000), (1024, 700)])
def test_every_panel_fits_the_window(qtbot, qloop, tmp_path, size):
    w = make_window(qtbot, tmp_path)
    w.show()
    w.resize(*size)
    qtbot.waitExposed(w)

    async def scenario():
        tab = w.open_connection(local_mock_profile())
        assert tab is not None
        await until(lambda: w.size().toTuple() == size and tab.client.state is State.OPEN, 10, "open")
        settle_layouts()
        # each panel's minimum fits the room the window gives it
        assert w.minimumSizeHint().width() <= 1024 and w.minimumSizeHint().height() <= 700
        side = w.side_tabs.width()
        for page in (w.manager, w.mock_panel):
            assert page.minimumSizeHint().width() <= side
        assert tab.minimumSizeHint().width() <= w.conn_tabs.width()
        assert tab.minimumSizeHint().height() <= w.conn_tabs.height()
        assert w.latency_plot.minimumSizeHint().width() <= w.latency_plot.width()
        # nothing in the side column or the connection tab hides behind a horizontal scrollbar
        assert w.side_tabs.currentWidget() is w.manager
        assert not w.manager.scroll_area.horizontalScrollBar().isVisible()
        w.side_tabs.setCurrentIndex(1)
        settle_layouts()
        mock_area = w.side_tabs.currentWidget()
        assert isinstance(mock_area, QScrollArea) and not mock_area.horizontalScrollBar().isVisible()
        assert all(_fully_visible_across(c, mock_area) for c in _mock_controls(w.mock_panel))
        assert not tab.scroll_area.horizontalScrollBar().isVisible()
        # the log shows a useful number of rows, Summary among its columns, the detail pane a frame
        view = w.log_panel.view
        rows = view.viewport().height() // view.verticalHeader().defaultSectionSize()
        assert rows >= (10 if size[1] == 700 else 18)
        left = view.columnViewportPosition(len(COLUMNS) - 1)
        assert left >= 0 and view.viewport().width() - left >= 150  # Summary in view, and readable
        assert not view.horizontalScrollBar().isVisible()
        assert w.log_panel.detail.height() >= 8 * w.fontMetrics().height()
        # hiding the side panel gives the log the width and leaves the window's size alone
        log_width = w.log_panel.width()
        w.side_action.trigger()
        settle_layouts()
        assert w.size().toTuple() == size and w.log_panel.width() > log_width
        w.side_action.trigger()
        settle_layouts()
        assert w.size().toTuple() == size and w.side_tabs.isVisible()
        await close_window(w)
    run(qloop, scenario())


def _icon_contrast(icon, background: QColor) -> float:
    """WCAG contrast between the icon's opaque pixels (their mean colour) and ``background``."""
    img = icon.pixmap(24, 24).toImage().convertToFormat(QImage.Format.Format_ARGB32)
    r = g = b = n = 0
    for y in range(img.height()):
        for x in range(img.width()):
            c = img.pixelColor(x, y)
            if c.alpha() > 160:
                r, g, b, n = r + c.red(), g + c.green(), b + c.blue(), n + 1
    assert n > 20, "an icon with something drawn"

    def lum(red: float, green: float, blue: float) -> float:
        def ch(v: float) -> float:
            v /= 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * ch(red) + 0.7152 * ch(green) + 0.0722 * ch(blue)
    a = lum(r / n, g / n, b / n)
    bg = lum(background.red(), background.green(), background.blue())
    return (max(a, bg) + 0.05) / (min(a, bg) + 0.05)


@pytest.mark.parametrize("palette", ["light", "dark"])
def test_toolbar_icons_read_on_both_palettes(qtbot, tmp_path, palette):
    app = QApplication.instance()
    old = app.palette()
    app.setPalette(dark_palette() if palette == "dark" else app.style().standardPalette())
    try:
        w = make_window(qtbot, tmp_path)
        window = w.palette().color(QPalette.ColorRole.Window)
        for act in (w.connect_action, w.reconnect_action, w.disconnect_action, w.pause_action, w.clear_action,
                    w.find_action, w.record_action):
            assert _icon_contrast(act.icon(), window) >= 3.0, act.text()  # WCAG's minimum for icons
    finally:
        app.setPalette(old)


def test_connect_on_a_connected_profile_shows_its_tab(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)
    w.show()

    async def scenario():
        w.manager.select(LOCAL_MOCK)
        w.manager.connect_button.click()
        await until(lambda: w.tabs() and w.tabs()[0].client.state is State.OPEN, 10, "open")
        first = w.tabs()[0]
        w.manager.connect_button.click()  # again
        assert w.conn_tabs.count() == 1 and w.current_tab() is first
        assert "already connected" in w.status_label.text() and first.conn_id in w.status_label.text()
        first.disconnect_now()
        await until(lambda: first.client.state is State.STOPPED, 5, "stopped")
        w.manager.connect_button.click()  # a stopped tab is not shown as is: a new connection in its place
        assert w.conn_tabs.count() == 1 and w.current_tab() is not first
        assert w.current_tab().conn_id == first.conn_id
        await close_window(w)
    run(qloop, scenario())


def test_embedded_mock_profile_shows_the_url_it_really_uses(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)

    async def scenario():
        w.manager.select(LOCAL_MOCK)
        editor = w.manager.editor
        assert editor.embedded_check.isChecked() and not editor.url_edit.isEnabled()
        url = w.mock_panel.start_server()
        port = w.mock_panel.server_thread.port
        assert editor.url_edit.text() == url and f":{port}/" in editor.url_edit.text()
        assert editor.profile().url == w.store.get(LOCAL_MOCK).url  # shown, not saved into the profile
        editor.embedded_check.setChecked(False)  # the profile's own URL comes back to edit
        assert editor.url_edit.isEnabled() and editor.url_edit.text() == w.store.get(LOCAL_MOCK).url
        editor.embedded_check.setChecked(True)
        await w.mock_panel.stop_async()
        assert editor.url_edit.text() == "" and "once it runs" in editor.url_edit.placeholderText()
        await close_window(w)
    run(qloop, scenario())


def test_an_open_connection_ends_a_stale_error(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)

    async def scenario():
        w.report_error("cannot connect with Remote: connection refused")
        assert w.status_label.text().startswith("Error:")
        tab = w.open_connection(local_mock_profile())
        await until(lambda: tab.client.state is State.OPEN, 10, "open")
        await until(lambda: w.status_label.text() == f"{tab.conn_id} · Local mock: open", 2, "the state shown")
        assert w.errors == ["cannot connect with Remote: connection refused"]  # kept, just not shown
        await close_window(w)
    run(qloop, scenario())


@pytest.mark.parametrize("size", [(1600, 1000), (1024, 700)])
def test_search_boxes_and_the_clients_subscriptions_stay_readable(qtbot, tmp_path, size):
    """The log's topic and search boxes keep a usable width (the bar wraps to two rows in a
    narrow log); the mock's clients table shows Subscriptions early and wide enough to read."""
    w = make_window(qtbot, tmp_path)
    w.show()
    w.resize(*size)
    w.side_tabs.setCurrentIndex(1)
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.size().toTuple() == size)
    chars = w.log_panel.fontMetrics().averageCharWidth()
    panel = w.log_panel
    assert panel.topic_edit.width() >= 16 * chars and panel.text_edit.width() >= 24 * chars, \
        (panel.topic_edit.width(), panel.text_edit.width())
    assert panel.topic_edit.y() >= 0 and panel.text_edit.geometry().bottom() < panel.view.mapTo(panel, QPoint()).y()
    assert w.minimumSizeHint().width() <= 1024
    table = w.mock_panel.clients_table
    subs = CLIENT_COLUMNS.index("Subscriptions")
    assert table.columnWidth(subs) >= 20 * chars and table.horizontalHeader().visualIndex(subs) == 1


def test_latency_figures_never_break_inside_one(qtbot):
    plot = LatencyPlot()
    qtbot.addWidget(plot)
    plot.add_rtt("c1", 1_764_300_000.0, 0.0123)
    text = plot.stats_text("c1")
    figures = text.split(": ", 1)[1].split(" · ")
    assert len(figures) == 4 and all(" " not in f for f in figures), text  # the spaces in them do not break
