"""bench/bench_record_ingest.py keeps working (a tiny run in its own process; no timing asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "bench_record_ingest.py"


def test_bench_record_ingest_runs_and_reports():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, str(BENCH), "--frames", "3000", "--rounds", "1", "--open-frames", "5000"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    # every recording round recorded exactly the frames of its flood, no more (no leftover listeners)
    assert "(3,000 records per round)" in out, out
    for label in ("ingest without recording:", "ingest with recording:", "ratio with/without:",
                  "app process CPU per frame:", "open 5,000-frame recording"):
        assert label in out, out
