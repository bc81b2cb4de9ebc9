"""``realtime-inspector FILE --self-test`` in a subprocess: a session store and a recording open
until their last frame is shown, and the count is printed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from framegen import T0, event

from inspector.logstore.frame_store import FrameStore
from inspector.logstore.live_session import LiveSession
from inspector.logstore.session_store.layout import DATA_FILE
from inspector.recording import RecordingWriter

FRAMES = 3000


def _run(tmp_path, path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"))
    return subprocess.run([sys.executable, "-m", "inspector", str(path), "--self-test"],
                          capture_output=True, text=True, timeout=90, env=env)


def _frames():
    return [event(seq=i, t=T0 + i / 1000) for i in range(1, FRAMES + 1)]


@pytest.mark.parametrize("name", ["folder", DATA_FILE])
def test_a_session_store_opens_to_its_last_frame(tmp_path, name):
    store = FrameStore()
    live = LiveSession(tmp_path / "made", on_error=pytest.fail)
    live.attach(store)
    store.extend(_frames())
    live.close()
    proc = _run(tmp_path, live.folder if name == "folder" else live.folder / DATA_FILE)
    assert proc.returncode == 0, proc.stderr
    assert f"self-test: opened {FRAMES} frames" in proc.stdout
    assert not (tmp_path / "data").exists()  # opening a file writes no session of its own


def test_a_recording_opens_to_its_last_frame(tmp_path):
    path = tmp_path / "a.rirec"
    with RecordingWriter(path, created=T0) as w:
        for ev in _frames():
            w.write_event(ev)
    proc = _run(tmp_path, path)
    assert proc.returncode == 0, proc.stderr
    assert f"self-test: opened {FRAMES} frames" in proc.stdout


def test_a_file_that_does_not_open_fails_the_self_test(tmp_path):
    proc = _run(tmp_path, tmp_path / "missing.rirec")
    assert proc.returncode == 1 and "self-test failed: cannot open missing.rirec" in proc.stderr
