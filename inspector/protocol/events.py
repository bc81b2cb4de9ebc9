"""Session events: what a client session reports to whoever watches it.

The client engine emits these; the CLI prints them, the recorder writes them and
the desktop app shows them. Plain data, no behaviour, so every layer can share them.
Times are wall-clock seconds (``time.time()``).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any

import msgspec

from inspector.protocol.frames import DecodeError, Frame, decode_received
from inspector.protocol.heads import AnyHead

# directions and states live in a module of their own (the window shows them before the codec loads)
from inspector.protocol.states import IN as IN
from inspector.protocol.states import OUT as OUT
from inspector.protocol.states import State as State


class StopReason(enum.StrEnum):
    """Why a session stopped: what tools decide by (``message`` is only for people)."""

    REQUESTED = "requested"              # stop() was called
    NO_TOKEN = "no_token"                # the token source gave none
    TOKEN_EXPIRED = "token_expired"      # 4401, and no fresh token to be had
    HTTP_REFUSED = "http_refused"        # the upgrade was refused with a status retrying cannot help (``http_status``)
    CONNECT_FAILED = "connect_failed"    # a connect failure retrying cannot help (e.g. TLS verification)
    SERVER_DONE = "server_done"          # the server closed normally (1000)
    SERVER_STOPPED = "server_stopped"    # the server closed with a code that forbids reconnecting (1008)
    RECONNECT_OFF = "reconnect_off"      # the connection ended and automatic reconnect is off
    INTERNAL_ERROR = "internal_error"    # a bug of ours ended the session


class FrameSeen(msgspec.Struct, gc=False):
    """One binary (or text) message that crossed the wire.

    A msgspec Struct: made once per frame under a flood, it is made in C and, holding no
    cycles, stays out of the cyclic collector (whose passes over many live frames would
    stall the GUI thread)."""

    conn: str
    t: float
    direction: str  # IN or OUT
    data: bytes
    frame: Frame | DecodeError | None = None  # decoded form, when the sender decoded it
    text: bool = False  # a text frame (never valid in this protocol, shown as such)
    # what ``read_head(data)`` read, when the sender read it and did not decode
    head: AnyHead | None = None

    def decoded(self) -> Frame | DecodeError:
        """The frame whole: as the sender decoded it, else decoded now (the body read lazily)."""
        frame = self.frame
        return frame if frame is not None else decode_received(self.data, self.text)


@dataclass(slots=True)
class StateChanged:
    conn: str
    t: float
    state: State
    attempt: int = 0
    delay: float | None = None        # WAITING: seconds until the next attempt
    code: int | None = None           # CLOSED: close code (1006 when none was received)
    reason: str = ""                  # CLOSED: close reason from the peer
    meaning: str = ""                 # CLOSED: meaning of the code
    http_status: int | None = None    # refused upgrade, e.g. 401
    http_code: str | None = None      # the JSON "code" of a 401 body, e.g. "invalid_token"
    message: str = ""                 # human text: why it stopped, what failed
    stop: StopReason | None = None    # STOPPED: why, as a value (None in recordings older than it)


@dataclass(slots=True)
class RttMeasured:
    conn: str
    t: float
    rtt: float  # seconds


@dataclass(slots=True)
class PongMissed:
    """A PING of ours went unanswered for the pong timeout."""

    conn: str
    t: float
    consecutive: int


@dataclass(slots=True)
class ServerPingAnswered:
    """The server pinged us; we answered after ``response_time`` seconds."""

    conn: str
    t: float
    payload: bytes
    response_time: float


class SubState(enum.StrEnum):
    PENDING = "pending"   # SUBSCRIBE sent, waiting for the presence sync
    ACTIVE = "active"     # presence sync received
    FAILED = "failed"     # ERROR answered the request
    REMOVED = "removed"   # unsubscribed


@dataclass(slots=True)
class SubscriptionChanged:
    conn: str
    t: float
    topic: str
    state: SubState
    filter: str | None = None
    error_code: str | None = None
    message: str = ""


def finite(x: float | None) -> float | None:
    """``x``, or None for a missing, infinite or NaN measurement (JSON has no such numbers)."""
    return x if x is not None and math.isfinite(x) else None


def state_details(ev: StateChanged) -> dict[str, Any]:
    """The optional fields of a state change that are set, in the one order every writer uses."""
    out: dict[str, Any] = {}
    if ev.attempt:
        out["attempt"] = ev.attempt
    if ev.delay is not None:
        out["delay"] = finite(ev.delay)
    if ev.code is not None:
        out["code"] = ev.code
    if ev.reason:
        out["reason"] = ev.reason
    if ev.meaning:
        out["meaning"] = ev.meaning
    if ev.http_status is not None:
        out["http_status"] = ev.http_status
    if ev.http_code is not None:
        out["http_code"] = ev.http_code
    if ev.message:
        out["message"] = ev.message
    if ev.stop is not None:
        out["stop"] = ev.stop.value
    return out


def subscription_details(ev: SubscriptionChanged) -> dict[str, Any]:
    """The optional fields of a subscription change that are set."""
    out: dict[str, Any] = {}
    if ev.filter is not None:
        out["filter"] = ev.filter
    if ev.error_code is not None:
        out["error_code"] = ev.error_code
    if ev.message:
        out["message"] = ev.message
    return out


@dataclass(slots=True)
class PayloadTrouble:
    """The connection's contract or decoders failed (the app reads payloads; nothing on the wire)."""

    conn: str
    t: float
    message: str


SessionEvent = (FrameSeen | StateChanged | RttMeasured | PongMissed | ServerPingAnswered | SubscriptionChanged
                | PayloadTrouble)
