"""Help > About and Help > Keyboard shortcuts.

The bundled docs are shown in the app itself (QTextBrowser renders Markdown), so
the links work without a Markdown handler on the desktop and inside the
PyInstaller bundle, where the data files live under ``sys._MEIPASS``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from inspector import __version__
from inspector.qt.resource_paths import icon_path as icon_path  # its home is resource_paths
from inspector.qt.resource_paths import resource_root

APP_NAME = "Realtime Inspector"
# (title, path under the resource root, what it is)
DOCS = (
    ("Protocol reference", "inspector/docs/protocol.md", "the Realtime protocol as this app speaks it"),
    ("Recording format", "docs/recording-format.md", "the .rirec file format"),
    ("README", "README.md", "getting started, command line"),
    ("Packaging", "docs/packaging.md", "building the bundle, desktop install"),
)


def doc_links(root: Path | None = None) -> list[tuple[str, Path, str]]:
    """The bundled docs that exist: (title, absolute path, description)."""
    root = root or resource_root()
    return [(title, root / rel, what) for title, rel, what in DOCS if (root / rel).is_file()]


class DocViewer(QDialog):
    """A Markdown file, read-only, with working links between the docs."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.resize(820, 700)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)  # local .md links stay in here, web links go to the browser
        self.browser.anchorClicked.connect(self._anchor)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        self.path: Path | None = None

    def show_file(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            text = f"Cannot read {path.name}: {exc}"
        self.path = path
        self.setWindowTitle(f"{path.name} — {APP_NAME}")
        self.browser.setSearchPaths([str(path.parent)])
        self.browser.setMarkdown(text)
        self.show()
        self.raise_()

    def _anchor(self, url: QUrl) -> None:
        if url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)
            return
        if url.path().endswith(".md") and self.path is not None:
            target = (self.path.parent / url.path()).resolve()
            if target.is_file():
                self.show_file(target)
                return
        if url.hasFragment() and not url.path():
            self.browser.scrollToAnchor(url.fragment())


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, root: Path | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.root = root or resource_root()
        self.viewer: DocViewer | None = None
        self.links = doc_links(self.root)
        title = QLabel(f"<h2>{APP_NAME}</h2><p>Version {__version__}</p>"
                       "<p>A desktop inspector and debugging console for the Realtime WebSocket API: "
                       "every frame on the wire, subscriptions, latency, an embedded mock server, "
                       "recording and replay.</p>")
        title.setWordWrap(True)
        self.version_label = title
        items = "".join(f'<li><a href="{QUrl.fromLocalFile(str(p)).toString()}">{t}</a> — {w}</li>'
                        for t, p, w in self.links)
        self.docs_label = QLabel(f"<p><b>Documentation</b></p><ul>{items}</ul>" if items else
                                 "<p>The documentation is not bundled with this build.</p>")
        self.docs_label.setTextFormat(Qt.TextFormat.RichText)
        self.docs_label.setWordWrap(True)
        self.docs_label.linkActivated.connect(self.open_link)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.docs_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def open_link(self, link: str) -> None:
        url = QUrl(link)
        if not url.isLocalFile():
            QDesktopServices.openUrl(url)
            return
        if self.viewer is None:
            self.viewer = DocViewer(self.parentWidget())
        self.viewer.show_file(Path(url.toLocalFile()))


def shortcut_rows(window: QWidget) -> list[tuple[str, str]]:
    """(action, shortcut) for every action with a shortcut in ``window``, sorted by action."""
    rows: dict[str, str] = {}
    for act in window.findChildren(QAction):
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts() if not k.isEmpty()]
        name = act.text().replace("&", "").rstrip("…").rstrip(".")
        if keys and name and name not in rows:
            rows[name] = ", ".join(keys)
    return sorted(rows.items(), key=lambda r: r[0].lower())


class ShortcutsDialog(QDialog):
    def __init__(self, window: QWidget):
        super().__init__(window)
        self.window_ = window
        self.setWindowTitle(f"Keyboard shortcuts — {APP_NAME}")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(440, 540)
        self.refresh()

    def refresh(self) -> None:
        rows = shortcut_rows(self.window_)
        self.table.setRowCount(len(rows))
        for i, (name, keys) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(name))
            self.table.setItem(i, 1, QTableWidgetItem(keys))

    def rows(self) -> list[tuple[str, str]]:
        return [(self._text(i, 0), self._text(i, 1)) for i in range(self.table.rowCount())]

    def _text(self, row: int, col: int) -> str:
        item = self.table.item(row, col)
        return item.text() if item is not None else ""
