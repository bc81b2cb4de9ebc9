"""Payload decoders that misbehave, for the tests of what the lens and the log do about it."""

from __future__ import annotations

import threading

from inspector.payloads.decoders import Decoded


class Raises:
    """Fails on every value with ``error`` (by default a message of two lines)."""

    name, scope = "explodes", "value"

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error if error is not None else RuntimeError("boom\nwith a second line")

    def score(self, value):
        return 1.0

    def decode(self, value):
        raise self.error


class Hangs:
    """Answers only once ``release`` is set (or after 10 s)."""

    name, scope = "hangs", "value"

    def __init__(self):
        self.release = threading.Event()
        self.hanging = False  # inside decode(), not yet answered

    def score(self, value):
        return 1.0

    def decode(self, value):
        self.hanging = True
        self.release.wait(10)
        self.hanging = False
        return Decoded(value, "late")
