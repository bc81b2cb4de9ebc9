"""Disk space reserved ahead of a growing file, its size unchanged (Linux ``fallocate`` with
``FALLOC_FL_KEEP_SIZE``).

A write into blocks the file system has already given the file costs the kernel less than one
it must find blocks for as it goes. The file's size stays what was written, so a reader, a
kill -9 and a cut back see only written bytes; ``release`` hands the blocks past the end back
(closing the file does not). Where the call is missing or refused (another OS, a file system
without it, a full disk) nothing is reserved and writes go on as before.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable
from typing import Any

FALLOC_FL_KEEP_SIZE = 1
MIN_AHEAD = 1024 * 1024       # a smaller file is never reserved for: the index and the labels stay as they are
MAX_AHEAD = 32 * 1024 * 1024  # the most reserved past the end (what a kill -9 may leave allocated)

_fallocate: Callable[..., int] | None = None
_looked = False


def _call() -> Callable[..., int] | None:
    global _fallocate, _looked
    if not _looked:
        _looked = True
        if sys.platform.startswith("linux"):
            try:
                libc: Any = ctypes.CDLL(None, use_errno=True)  # the process's own symbols: libc's among them
                fn = getattr(libc, "fallocate64", None) or libc.fallocate
                fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
                fn.restype = ctypes.c_int
                _fallocate = fn
            except (OSError, AttributeError):
                _fallocate = None
    return _fallocate


class Reserve:
    """Space reserved for the file ``fd`` as it grows: ``before_write`` reserves, ahead of a write
    that would pass what is reserved (or of the next ``MIN_AHEAD`` bytes, for a write not
    counted), as much again as the file holds (from ``MIN_AHEAD`` up to ``MAX_AHEAD``)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.end = 0        # bytes written (the file's size)
        self.reserved = 0   # blocks reserved up to here
        self.on = _call() is not None

    def before_write(self, nbytes: int = 0) -> None:
        """A write of ``nbytes`` comes next (0: not counted)."""
        size = self.end + nbytes
        need = self.end + max(nbytes, MIN_AHEAD)
        if not self.on or size < MIN_AHEAD or need <= self.reserved:
            return
        start = max(self.reserved, self.end)
        length = need + min(size, MAX_AHEAD) - start
        fallocate = _call()
        assert fallocate is not None
        if fallocate(self.fd, FALLOC_FL_KEEP_SIZE, start, length) != 0:
            self.on = False  # refused (not supported, no room): plain writes from now on
            return
        self.reserved = start + length

    def wrote(self, n: int) -> None:
        self.end += n

    def cut(self, size: int) -> None:
        """The file was cut back to ``size`` (the blocks past it are freed with it)."""
        self.end = self.reserved = size

    def release(self) -> None:
        """Free the blocks reserved past the end (a cut at the file's size)."""
        if self.reserved > self.end:
            os.ftruncate(self.fd, self.end)
            self.reserved = self.end
