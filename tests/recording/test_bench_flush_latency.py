"""The flush-latency benchmark still runs (its 250 ms target is its own verdict, not asserted here)."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_flush_latency.py"


def test_bench_flush_latency_runs_once_each(tmp_path):
    r = subprocess.run([sys.executable, str(BENCH), "--tries", "1"], capture_output=True, text=True, timeout=60,
                       cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr  # 1: a target missed, which only the benchmark judges
    lines = r.stdout.splitlines()
    for writer in ("RecordingWriter", "ProcessRecordingWriter"):
        assert any(line.startswith(writer + " ") and "(target 250 ms, n=1)" in line for line in lines), r.stdout
