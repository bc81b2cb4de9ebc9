"""Help > About and Help > Keyboard shortcuts."""

from __future__ import annotations

import sys

from PySide6.QtCore import QUrl

from inspector import __version__
from inspector.qt import about
from inspector.qt.about import AboutDialog, ShortcutsDialog, doc_links, resource_root


def test_about_shows_the_version_and_links_to_the_bundled_docs(qtbot):
    d = AboutDialog()
    qtbot.addWidget(d)
    assert f"Version {__version__}" in d.version_label.text()
    titles = [t for t, _p, _w in d.links]
    assert titles[:3] == ["Protocol reference", "Recording format", "README"]
    text = d.docs_label.text()
    for _title, path, _what in d.links:
        assert path.is_file()
        assert QUrl.fromLocalFile(str(path)).toString() in text


def test_links_open_the_doc_in_the_app(qtbot):
    d = AboutDialog()
    qtbot.addWidget(d)
    d.open_link(QUrl.fromLocalFile(str(resource_root() / "docs" / "recording-format.md")).toString())
    assert d.viewer is not None and d.viewer.isVisible()
    assert "Recording format" in d.viewer.browser.toPlainText()
    # a relative link between the docs (the one recording-format.md has) stays in the viewer
    d.viewer._anchor(QUrl("../inspector/docs/protocol.md"))
    assert d.viewer.path.name == "protocol.md"
    assert "Realtime protocol" in d.viewer.browser.toPlainText()


def test_docs_are_found_under_meipass_when_frozen(tmp_path, monkeypatch):
    (tmp_path / "inspector" / "docs").mkdir(parents=True)
    (tmp_path / "inspector" / "docs" / "protocol.md").write_text("# P\n")
    (tmp_path / "README.md").write_text("# R\n")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource_root() == tmp_path
    assert about.icon_path() == tmp_path / "resources" / "realtime-inspector.svg"
    links = doc_links()
    assert [(t, p) for t, p, _w in links] == [("Protocol reference", tmp_path / "inspector" / "docs" / "protocol.md"),
                                             ("README", tmp_path / "README.md")]


def test_about_without_docs_says_so(qtbot, tmp_path):
    d = AboutDialog(root=tmp_path)
    qtbot.addWidget(d)
    assert d.links == [] and "not bundled" in d.docs_label.text()


def test_the_repository_icon_exists():
    assert about.icon_path().is_file()


def test_shortcuts_dialog_lists_the_window_actions(qtbot):
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QWidget
    w = QWidget()
    qtbot.addWidget(w)
    for text, keys in (("&Connect", "Ctrl+Return"), ("Open recording…", "Ctrl+O"), ("No keys", None)):
        act = QAction(text, w)
        if keys:
            act.setShortcut(keys)
        w.addAction(act)
    d = ShortcutsDialog(w)
    assert d.rows() == [("Connect", "Ctrl+Return"), ("Open recording", "Ctrl+O")]
