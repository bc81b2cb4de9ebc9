"""The one error type the session store raises."""

from __future__ import annotations


class StoreError(Exception):
    """A session that cannot be written or read; the message is one line a user can act on."""
