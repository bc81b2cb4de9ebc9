"""The load run's JSON report (``--json FILE``), read back by the app's load run view.

Totals per (kind, name) come from Locust's own statistics, so they are the numbers its
console table, CSV and web UI show; the per-second series comes from ``series``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from inspector.load.series import Series
from inspector.private_files import open_private
from inspector.redact import redact_url

FORMAT = "realtime-inspector-load"
VERSION = 1
CLOCK_NOTE = ("EVENT and PRESENCE times are delivery lag: the receiving machine's clock minus the event's "
              "ts (the server's clock); they are only as right as the two clocks agree, and a lag below "
              "zero is counted as 0")
REPORT_PERCENTILES = (0.5, 0.9, 0.95, 0.99)


def entry_row(entry: Any) -> dict[str, Any]:
    """One of Locust's StatsEntry objects as a report row."""
    ok = entry.num_requests > 0
    row: dict[str, Any] = {
        "kind": entry.method, "name": entry.name,
        "requests": entry.num_requests, "failures": entry.num_failures,
        "per_s": round(entry.total_rps, 3),
        "min": round(entry.min_response_time, 3) if ok and entry.min_response_time is not None else None,
        "avg": round(entry.avg_response_time, 3) if ok else None,
        "max": round(entry.max_response_time, 3) if ok else None,
        "bytes": entry.total_content_length,
    }
    for p in REPORT_PERCENTILES:
        row[f"p{round(p * 100)}"] = entry.get_response_time_percentile(p) if ok else None
    return row


def build(stats: Any, series: Series, *, url: str, started: float, ended: float, target_users: int,
          workers: int, options: dict[str, Any]) -> dict[str, Any]:
    entries = sorted(stats.entries.values(), key=lambda e: (e.method or "", e.name))
    users = sorted(series.users.items())
    return {
        "format": FORMAT, "version": VERSION,
        "url": redact_url(url),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(ended - started, 3),
        "target_users": target_users,
        "peak_users": max((n for _, n in users), default=0),
        "workers": workers,
        "options": options,
        "clock_note": CLOCK_NOTE,
        "entries": [entry_row(e) for e in entries],
        "total": entry_row(stats.total),
        "errors": [{"kind": e.method, "name": e.name, "error": str(e.error), "occurrences": e.occurrences}
                   for e in sorted(stats.errors.values(), key=lambda e: -e.occurrences)],
        "users": [{"t": second - int(started), "users": n} for second, n in users],
        "series": series.rows(started),
    }


def write(path: str, report: dict[str, Any]) -> None:
    with open_private(path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
        f.write("\n")
