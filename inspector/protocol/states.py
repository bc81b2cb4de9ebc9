"""A session's directions and connection states: the part of its vocabulary the app's window
shows before any frame comes. No codec here, so the window paints before msgspec loads
(``inspector.protocol.events`` holds the rest and names these too)."""

from __future__ import annotations

import enum

IN = "in"    # server → client
OUT = "out"  # client → server


class State(enum.StrEnum):
    IDLE = "idle"              # created, not started
    CONNECTING = "connecting"  # TCP + upgrade in progress (``attempt``)
    OPEN = "open"
    CLOSED = "closed"          # connection ended (``code``, ``reason``, ``meaning``)
    WAITING = "waiting"        # backoff before attempt ``attempt`` (``delay`` s)
    STOPPED = "stopped"        # no automatic retry (``message`` says why)
