"""bench/bench_log.py keeps working (a tiny run; no timing asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_log.py"


def test_bench_log_runs_and_reports(qapp, capsys):
    spec = importlib.util.spec_from_file_location("bench_log", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--frames", "3000", "--chunk", "500", "--cap", "2000"]) == 0
    out = capsys.readouterr().out
    assert "3,000 (store cap 2,000, kept 2,000, dropped 1,000" in out
    for label in ("end to end", "log path", "event-loop lag", "filter rebuild", "memory"):
        assert label in out
