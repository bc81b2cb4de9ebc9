"""Disk sizes as people write them: ``2G``, ``500M``, ``1.5GB``, ``750000000``."""

from __future__ import annotations

import re

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes; ValueError for anything that is not a size (binary units: 1G = 1024**3)."""
    m = _SIZE.fullmatch(text)
    if m is None:
        raise ValueError(f"not a size: {text!r} (try 2G, 500M or a number of bytes)")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def human_size(n: float, base: int = 1024) -> str:
    """``n`` bytes in B, KB, MB or GB of ``base`` (1024, as ``parse_size`` reads them, or 1000)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < base or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= base
    return f"{n} B"
