"""A load run's JSON report (``realtime-inspector load --json FILE``), read for the app. Qt-free.

Read by field name, whatever the key order or spacing; fields the app does not show are
ignored, and a missing optional figure stays empty. A file that is not such a report is
refused with one line saying why.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

FORMAT = "realtime-inspector-load"
VERSIONS = (1,)
MAX_BYTES = 256 * 2**20
FIGURES = ("requests", "failures", "per_s", "min", "avg", "max", "p50", "p90", "p95", "p99", "bytes")
SERIES_FIGURES = ("count", "failures", "p50", "p90", "p99", "max")


class LoadRunError(ValueError):
    pass


@dataclass
class Row:
    kind: str
    name: str
    figures: dict[str, float | None]


@dataclass
class Point:
    t: float
    figures: dict[str, float | None]


@dataclass
class LoadRun:
    url: str
    started: str
    duration_s: float | None
    target_users: int | None
    peak_users: int | None
    workers: int | None
    clock_note: str
    rows: list[Row]
    total: Row | None
    errors: list[dict[str, Any]]
    users: list[tuple[float, int]]
    series: dict[tuple[str, str], list[Point]] = field(default_factory=dict)

    def row(self, kind: str, name: str) -> Row | None:
        return next((r for r in self.rows if r.kind == kind and r.name == name), None)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _row(obj: Any, where: str) -> Row:
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        raise LoadRunError(f"{where} is not a statistics row (an object with a 'name')")
    return Row(_text(obj.get("kind")), obj["name"], {k: _number(obj.get(k)) for k in FIGURES})


def parse(data: Any) -> LoadRun:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LoadRunError(f"not a load run report (its 'format' is not {FORMAT!r})")
    if data.get("version") not in VERSIONS:
        raise LoadRunError(f"load run report version {data.get('version')!r} is not one this app reads "
                           f"({', '.join(map(str, VERSIONS))})")
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise LoadRunError("the report has no 'entries' list")
    rows = [_row(e, f"entries[{i}]") for i, e in enumerate(entries)]
    total = _row(data["total"], "total") if isinstance(data.get("total"), dict) else None
    errors = [e for e in data.get("errors") or [] if isinstance(e, dict)]
    users = [(float(u["t"]), int(u["users"])) for u in data.get("users") or []
             if isinstance(u, dict) and _number(u.get("t")) is not None and _number(u.get("users")) is not None]
    series: dict[tuple[str, str], list[Point]] = {}
    for point in data.get("series") or []:
        if not isinstance(point, dict) or _number(point.get("t")) is None or not isinstance(point.get("name"), str):
            continue
        key = (_text(point.get("kind")), point["name"])
        series.setdefault(key, []).append(Point(float(point["t"]), {k: _number(point.get(k)) for k in SERIES_FIGURES}))
    for points in series.values():
        points.sort(key=lambda p: p.t)

    def optional_int(key: str) -> int | None:
        value = _number(data.get(key))
        return int(value) if value is not None else None

    return LoadRun(url=_text(data.get("url")), started=_text(data.get("started")),
                   duration_s=_number(data.get("duration_s")), target_users=optional_int("target_users"),
                   peak_users=optional_int("peak_users"), workers=optional_int("workers"),
                   clock_note=_text(data.get("clock_note")), rows=rows, total=total, errors=errors, users=users,
                   series=series)


def read(path: str) -> LoadRun:
    """The report at ``path``, or LoadRunError with one line saying what is wrong."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise LoadRunError(exc.strerror or str(exc)) from None
    if len(raw) > MAX_BYTES:
        raise LoadRunError(f"the file is over {MAX_BYTES // 2**20} MiB: not a load run report")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise LoadRunError(f"not UTF-8 text (byte {exc.start + 1})") from None
    except RecursionError:
        raise LoadRunError("not a load run report (JSON nested too deeply)") from None
    except ValueError as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise LoadRunError(f"not JSON{where}") from None
    return parse(data)
