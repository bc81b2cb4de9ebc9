"""When a HAR WebSocket message happened: its ``time`` read as epoch seconds or milliseconds.

Chrome DevTools and mitmproxy write epoch seconds (``1764300000.123``), Playwright epoch
milliseconds (``1764300000123.4``) and -1 when told to omit timings. Nothing in the file
names the unit, so it is decided once per entry, from the entry's own clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

MS_FROM = 1e11              # epoch seconds reach this in the year 5138; epoch milliseconds passed it in 1973
PLAUSIBLE_FROM = 1e8        # 1973: a startedDateTime before it says nothing about the unit
LAST = 253402214399.0       # 9999-12-30T23:59:59Z: a day short of the last date, for any local time zone
NOT_AVAILABLE = -1          # HAR's "no value" for times


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def entry_scale(times: Iterable[Any], started: float | None) -> float:
    """1.0 when an entry's message times are epoch seconds, 0.001 when milliseconds.

    The entry's middle time is compared with its ``startedDateTime``: read in seconds
    and in milliseconds the two readings are 1000 times apart, so the nearer one is
    right whatever the clocks' offset. Without a usable start: by magnitude.
    """
    usable = sorted(t for t in times if _is_number(t) and 0 < t <= LAST * 1000)  # NaN compares False
    if not usable:
        return 1.0
    mid = float(usable[len(usable) // 2])
    if started is not None and PLAUSIBLE_FROM <= started <= LAST:
        return min((1.0, 0.001), key=lambda scale: abs(mid * scale - started))
    return 0.001 if mid >= MS_FROM else 1.0


def message_time(value: Any, scale: float) -> float | None:
    """Epoch seconds; None when the message has no time (absent, null or -1).

    ValueError (its text says why, in a few words) when the value cannot be a time.
    """
    if value is None or (_is_number(value) and value == NOT_AVAILABLE):
        return None
    if not _is_number(value):
        raise ValueError("time is not a number")
    if isinstance(value, float) and not math.isfinite(value):  # an int is finite, and may be too big for float
        raise ValueError("time is not a finite number")
    if value < 0:
        raise ValueError(f"time {_num(value)} is negative")
    if value > LAST / scale:  # compared before any float conversion: a JSON integer can be any size
        raise ValueError(f"time {_num(value)} is past the year 9999")
    return float(value) * scale


def iso_time(value: Any) -> float | None:
    """Epoch seconds of an ISO 8601 date (a HAR ``startedDateTime``); None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        t = dt.timestamp()
    except (OverflowError, ValueError, OSError):
        return None
    return t if 0 <= t <= LAST else None


def _num(value: float) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."
