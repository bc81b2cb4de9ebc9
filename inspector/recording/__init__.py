"""Record and replay sessions: the recording format, HAR import/export, pacing.

No Qt here; the desktop app and the CLI both build on this package.
"""

from inspector.recording.format import FORMAT, SUFFIX, VERSION, RecordingError
from inspector.recording.reader import Recording, open_recording
from inspector.recording.writer import RecordingWriter

__all__ = ["FORMAT", "SUFFIX", "VERSION", "Recording", "RecordingError", "RecordingWriter", "open_recording"]
