"""bench/bench_log.py keeps working (a tiny run in its own process; no timing asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "bench_log.py"


def test_bench_log_runs_and_reports():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, str(BENCH), "--frames", "3000", "--chunk", "500", "--cap", "2000"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "3,000 (store cap 2,000, kept 2,000, dropped 1,000" in out
    for label in ("end to end", "log path", "event-loop lag", "filter rebuild", "memory"):
        assert label in out
