"""``realtime-inspector --self-test`` in a subprocess, exactly as CI and the README use it."""

import os
import subprocess
import sys
import time

import pytest


def _run(tmp_path, *args):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"))
    return subprocess.run([sys.executable, "-m", "inspector", "--self-test", *args],
                          capture_output=True, text=True, timeout=90, env=env)


@pytest.mark.slow
def test_self_test_passes_and_saves_png(tmp_path):
    shot = tmp_path / "shot.png"
    proc = _run(tmp_path, "--screenshot", str(shot))
    assert proc.returncode == 0, proc.stderr
    assert "self-test: passed" in proc.stdout
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000  # a real window, not an empty image
    # the self-test leaves the user's configuration alone
    assert not (tmp_path / "config" / "realtime-inspector").exists()


def test_self_test_fails_with_reason(tmp_path):
    proc = _run(tmp_path, "--screenshot", str(tmp_path / "missing-dir" / "shot.png"))
    assert proc.returncode == 1
    assert "self-test failed: could not save the screenshot" in proc.stderr


def test_app_runs_until_sigint_then_closes_cleanly(tmp_path):
    import signal
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"))
    # a file argument that cannot be opened is reported in the window, never a crash
    ini = tmp_path / "config" / "realtime-inspector" / "ui.ini"
    with subprocess.Popen([sys.executable, "-m", "inspector", str(tmp_path / "missing.rirec")],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env) as proc:
        try:
            # reported once the window is up, after the signal handlers are in place
            seen = []
            while "cannot open missing.rirec" not in (line := proc.stderr.readline()):
                assert line, f"the app ended before it was up: {''.join(seen)}"
                seen.append(line)
            sessions_dir = tmp_path / "data" / "realtime-inspector" / "sessions"
            deadline = time.monotonic() + 20  # the first rows reach the session store
            while not (sessions_dir.is_dir() and any(sessions_dir.iterdir())) and time.monotonic() < deadline:
                time.sleep(0.05)
            proc.send_signal(signal.SIGINT)
            err = "".join(seen) + proc.stderr.read()
            proc.wait(20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    text = ini.read_text()
    assert "lastProfile=Local mock" in text and "geometry=" in text
    assert oct(ini.stat().st_mode & 0o777) == oct(0o600)
    # the live session went to the session store in the data folder, and was closed
    sessions = list(sessions_dir.iterdir())
    assert len(sessions) == 1 and '"closed": true' in (sessions[0] / "session.json").read_text()
