"""Hypothesis example counts for properties whose full count is too slow for every run.

``examples(full)`` is a share of ``full`` in the default run and ``full`` itself under
``-m slow``; tests that use it carry the ``slow`` mark so that ``-m slow`` selects them.
"""

from __future__ import annotations

import pytest

_full_run = False


def pytest_configure(config: pytest.Config) -> None:
    global _full_run
    _full_run = "slow" in (config.option.markexpr or "")


def examples(full: int, share: int = 4) -> int:
    """``full`` under ``-m slow``; else a ``share``-th of it (at least 100, hypothesis' default)."""
    return full if _full_run else min(full, max(100, full // share))
