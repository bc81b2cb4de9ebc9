"""What the app imports before its window first paints: only what is on the allow-list
tests/qt/startup_modules.txt, a list that can only shrink.

The app runs as ``realtime-inspector`` does, offscreen, with a throwaway configuration; the
EXIT_AFTER_PAINT_ENV hook makes it print ``sorted(sys.modules)`` at the first paint and exit
(less a module bound by inspector.lazy_module and not read yet: bound is not loaded).
A module that is not on the list fails the test: load it when it is first used instead.
When modules leave the start path, the test fails too until the list is shrunk with
``REALTIME_INSPECTOR_SHRINK_STARTUP_LIST=1`` (it removes entries, never adds one).
The hook also prints the PySide6 classes made by then: a few costly ones must not be.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from inspector.qt.first_paint import CLASSES_MARKER, EXIT_AFTER_PAINT_ENV, MODULES_MARKER

ALLOW_LIST = Path(__file__).with_name("startup_modules.txt")
SHRINK_ENV = "REALTIME_INSPECTOR_SHRINK_STARTUP_LIST"
# never on the start path, whatever the list says: each has its own lazy seam
# (the window paints on Qt's own loop: asyncio and qasync come after it; numpy is bound lazily;
# contracts and decoders load with the first profile that has them; the codec with the log's ring)
NEVER = ("pyqtgraph", "jsonschema", "yaml", "referencing", "cryptography", "pyarrow",
         "inspector.conformance", "inspector.load", "inspector.qt.load", "inspector.qt.conformance",
         "websockets", "inspector.client", "inspector.mock.server", "inspector.qt.mock",
         "inspector.qt.recording", "inspector.qt.session.connection_tab", "inspector.qt.live_store",
         "numpy", "asyncio", "qasync", "ssl", "inspector.payloads",
         # the codec (msgspec) and what reads it: with the log's ring, once the window has painted
         "msgspec", "inspector.protocol.events", "inspector.protocol.frames", "inspector.protocol.heads",
         "inspector.logstore.frame_store", "inspector.logstore.session_rows", "inspector.recording.format")


# PySide6 classes whose making costs more than the first paint gains by them, never made before it:
# the style's (with its many large enum classes; see inspector.qt.app._qt_args), and the dialogs
# PySide6 makes only when it walks every QWidget class to find a widget's class (a widget Qt made,
# handed to Python untyped: see LogPanel's _viewport); a dialog's class is made when it is first opened
NEVER_CLASSES = ("PySide6.QtWidgets.QStyle", "PySide6.QtWidgets.QCommonStyle", "PySide6.QtWidgets.QProxyStyle",
                 "PySide6.QtWidgets.QWizard", "PySide6.QtWidgets.QFileDialog", "PySide6.QtWidgets.QColorDialog",
                 "PySide6.QtWidgets.QInputDialog", "PySide6.QtWidgets.QDialog")


def _first_paint(tmp_path: Path) -> list[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CACHE_HOME=str(tmp_path / "cache"), **{EXIT_AFTER_PAINT_ENV: "1"})
    proc = subprocess.run([sys.executable, "-m", "inspector"], capture_output=True, text=True, timeout=90,
                          env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert MODULES_MARKER in lines and CLASSES_MARKER in lines, f"no lists printed:\n{proc.stdout}\n{proc.stderr}"
    return lines


def _modules_at_first_paint(tmp_path: Path) -> list[str]:
    lines = _first_paint(tmp_path)
    return lines[lines.index(MODULES_MARKER) + 1:lines.index(CLASSES_MARKER)]


def test_no_costly_pyside6_class_is_made_before_the_first_paint(tmp_path):
    lines = _first_paint(tmp_path)
    made = lines[lines.index(CLASSES_MARKER) + 1:]
    assert "PySide6.QtWidgets.QMainWindow" in made  # the list is there, and it lists what is made
    costly = [c for c in NEVER_CLASSES if c in made]
    assert not costly, f"made before the first paint (use them after it): {costly}"


def _allowed() -> list[str]:
    return [line for line in ALLOW_LIST.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


def test_modules_before_the_first_paint_are_on_the_allow_list(tmp_path):
    loaded = _modules_at_first_paint(tmp_path)
    allowed = _allowed()
    heavy = [m for m in loaded if m in NEVER or m.startswith(tuple(f"{n}." for n in NEVER))]
    assert not heavy, f"loaded before the first paint, but each must load when first used: {heavy}"
    new = sorted(set(loaded) - set(allowed))
    assert not new, (f"{len(new)} module(s) imported before the first paint are not on {ALLOW_LIST.name}: {new}\n"
                     "import them where they are first used, not at start-up")
    gone = sorted(set(allowed) - set(loaded))
    if gone and os.environ.get(SHRINK_ENV):
        header = [line for line in ALLOW_LIST.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
        kept = [m for m in allowed if m in set(loaded)]
        ALLOW_LIST.write_text("\n".join([*header, *kept]) + "\n", encoding="utf-8")
        gone = []
    assert not gone, (f"{len(gone)} module(s) on {ALLOW_LIST.name} no longer load before the first paint: {gone}\n"
                      f"good: shrink the list with {SHRINK_ENV}=1 pytest tests/qt/test_startup_modules.py")


def test_what_does_not_use_qt_is_imported_before_pyside6(tmp_path):
    """PySide6's import hook reads the source of every module imported after it: the project's
    modules that do not use Qt are imported first (``inspector.cli.main``)."""
    loaded = _modules_at_first_paint(tmp_path)
    first_qt = next(i for i, m in enumerate(loaded) if m == "PySide6" or m.startswith("PySide6."))
    late = [m for m in loaded[first_qt:] if m.startswith("inspector.") and not m.startswith("inspector.qt")]
    assert not late, f"imported after PySide6, so its import hook reads their sources: {late}"
