"""The seams between the main window and its parts, as Protocols: what a document shows the
window, and what the window offers the parts that open documents, report and record.

The parts take these, never the window's class, so a renamed member breaks at type-check
time rather than when a user first reaches it, and no part imports the window (no cycle).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:  # the seams name these; checking a seam at run time reads only member names
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QMenu

    from inspector.qt.aio import Tasks
    from inspector.qt.log.panel import LogPanel
    from inspector.qt.mock.mock_panel import MockPanel
    from inspector.qt.session.connection_tab import ConnectionTab


@runtime_checkable
class Document(Protocol):
    """A document beside the live one: an opened recording, a conformance check, a load run.
    It is a widget too (shown in a tab or a window of its own): see ``document_widget``."""

    @property
    def log_panel(self) -> LogPanel | None:
        """Its own log, which the log actions act on while it is in view (None: it has none)."""
        ...

    async def close_document(self) -> None:
        """Stop what it runs (playback, a check); awaited before the window deletes it."""
        ...


def document_widget(doc: Document) -> QWidget:
    """The widget a document is (each one is; a Protocol cannot require a base class)."""
    if not isinstance(doc, QWidget):
        raise TypeError(f"a document is a widget, not a {type(doc).__name__}")
    return doc


@runtime_checkable
class WindowServices(Protocol):
    """What the window offers a part that reports and opens documents."""

    @property
    def tasks(self) -> Tasks: ...

    @property
    def mock_panel(self) -> MockPanel: ...

    def show_message(self, text: str) -> None: ...

    def report_error(self, text: str) -> None: ...

    def add_document(self, doc: Document, title: str, tip: str = "") -> int: ...


@runtime_checkable
class RecordingHost(WindowServices, Protocol):
    """What the recording UI takes from the window besides the window as Qt sees it (parent,
    status bar, drops): the live log, the connections, the document in view, the settings and
    the action and menu it makes real."""

    @property
    def log_panel(self) -> LogPanel: ...

    @property
    def log_cap(self) -> int: ...

    @property
    def settings(self) -> QSettings: ...

    @property
    def record_action(self) -> QAction: ...

    @property
    def file_menu(self) -> QMenu: ...

    def current_tab(self) -> ConnectionTab | None: ...

    def tabs(self) -> list[ConnectionTab]: ...

    def current_document(self) -> QWidget: ...

    def current_log_panel(self) -> LogPanel: ...
