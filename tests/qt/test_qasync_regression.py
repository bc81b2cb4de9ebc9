"""Guard for the PySide6 6.12.0 abort (none_dealloc) when many sockets close under qasync.

The scenario runs in a subprocess because the failure mode is the interpreter
aborting, which would take the test runner down with it.
"""

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("qasync_flood_close.py")


def test_flood_then_close_many_sockets_exits_cleanly():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, str(SCRIPT), "--connections", "50", "--rounds", "4",
                           "--flood", "20000"], capture_output=True, text=True, timeout=110, env=env)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr[-3000:]}"
    assert proc.stdout.strip().endswith("ok")
    assert proc.stdout.count("connections closed") == 4
