"""Connection events as log rows: which ones get a row, and how a row keeps one.

A row's bytes are the event's record fields as the recording format writes them
(format.event_fields), so a row turns back into the very event (for the detail pane,
copy and export) with nothing kept beside the ring. Time and connection live in the
row's own columns.
"""

from __future__ import annotations

import json
from typing import TypeGuard

from inspector.protocol.closecodes import NORMAL
from inspector.protocol.describe import describe_session
from inspector.protocol.events import (
    PayloadTrouble,
    PongMissed,
    SessionEvent,
    State,
    StateChanged,
    StopReason,
    SubscriptionChanged,
    SubState,
)
from inspector.recording.format import RecordError, dumps, event_fields, record_to_event

ROW_TYPES = (StateChanged, SubscriptionChanged, PongMissed, PayloadTrouble)
RowEvent = StateChanged | SubscriptionChanged | PongMissed | PayloadTrouble


def is_row(ev: object) -> TypeGuard[RowEvent]:
    """Whether the log shows ``ev`` as a row: state changes, subscription changes and missed
    PONGs. RTTs and answered server PINGs are not: their PING/PONG frames are rows already."""
    if type(ev) is StateChanged:
        return ev.state is not State.IDLE
    return type(ev) is SubscriptionChanged or type(ev) is PongMissed or type(ev) is PayloadTrouble


def row_bytes(ev: RowEvent) -> bytes:
    return dumps(event_fields(ev)).encode("ascii")


def row_topic(ev: RowEvent) -> str:
    return ev.topic if isinstance(ev, SubscriptionChanged) else ""


def row_event(data: bytes, t: float, conn: str) -> SessionEvent | None:
    """The event a row holds; None for bytes that are not one (never written by ``row_bytes``)."""
    try:
        fields = json.loads(data)
        if not isinstance(fields, dict):
            return None
        return record_to_event({**fields, "w": t, "c": conn}, 0.0)
    except (ValueError, RecordError, TypeError, RecursionError):
        return None


def row_summary(ev: SessionEvent | None) -> str:
    return describe_session(ev) if isinstance(ev, ROW_TYPES) else "connection event (unreadable)"


def is_trouble(ev: SessionEvent | None) -> bool:
    """Something went wrong: a close other than normal, a stop, a failed connect or
    subscription, a missed PONG."""
    if isinstance(ev, StateChanged):
        if ev.state is State.STOPPED:
            return ev.stop is not StopReason.REQUESTED
        if ev.state is State.CLOSED:
            return ev.code != NORMAL or ev.http_status is not None
        return False
    if isinstance(ev, SubscriptionChanged):
        return ev.state is SubState.FAILED
    return isinstance(ev, (PongMissed, PayloadTrouble))
