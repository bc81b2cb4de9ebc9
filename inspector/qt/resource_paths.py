"""Where the app's own files are: the repository root, or the bundle's data folder when frozen
by PyInstaller (data files under ``sys._MEIPASS``). No Qt here: the launcher reads the icon's
path before the dialogs that show the docs are loaded."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_root() -> Path:
    """The repository root, or the bundle's data folder when frozen by PyInstaller."""
    return Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2]))


def icon_path() -> Path:
    return resource_root() / "resources" / "realtime-inspector.svg"
