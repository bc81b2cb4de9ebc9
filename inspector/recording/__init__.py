"""Record and replay sessions: the recording format, HAR import/export, pacing.

No Qt here; the desktop app and the CLI both build on this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspector.recording.format import FORMAT, SUFFIX, VERSION, RecordingError

if TYPE_CHECKING:
    from inspector.recording.reader import Recording, open_recording
    from inspector.recording.writer import RecordingWriter

# The reader (pcapng, HAR) and the writer load when first asked for: importing the format
# (the log store does, at start-up) must not bring them in.
_LAZY = {"Recording": "reader", "open_recording": "reader", "RecordingWriter": "writer"}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module
    return getattr(import_module(f"{__name__}.{module}"), name)

__all__ = ["FORMAT", "SUFFIX", "VERSION", "Recording", "RecordingError", "RecordingWriter", "open_recording"]
