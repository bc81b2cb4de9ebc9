"""Session events as one line of human text, the same in ``tail``, ``replay`` and the desktop app.

``tail --json`` and recordings carry the fields themselves (events.state_details); this
is only for people reading.
"""

from __future__ import annotations

from inspector.protocol.closecodes import describe
from inspector.protocol.events import PayloadTrouble, PongMissed, State, StateChanged, SubscriptionChanged

SEPARATOR = " — "
CONNECTION_KIND = "CONNECTION"  # the kind column of a connection event (log rows, replay)


def describe_state(ev: StateChanged, *, url: str = "", now: float | None = None) -> str:
    """One line for a state change.

    ``url`` (already redacted) is named while connecting. With ``now``, a WAITING line
    counts down to the next attempt instead of showing the whole delay.
    """
    s = ev.state
    if s is State.IDLE:
        return "not connected"
    if s is State.CONNECTING:
        # ``attempt`` counts reconnects: 0 is the first connect, k the k-th retry.
        where = f" to {url}" if url else ""
        return f"connecting{where}" + (f" (reconnect attempt {ev.attempt})" if ev.attempt else "")
    if s is State.OPEN:
        return "open" + (SEPARATOR + ev.message if ev.message else "")
    if s is State.CLOSED:
        return _closed(ev)
    if s is State.WAITING:
        left = ev.delay or 0.0
        if now is not None:
            left = max(0.0, ev.t + left - now)
        return f"waiting{SEPARATOR}reconnect attempt {ev.attempt} in {left:.1f} s"
    if s is State.STOPPED:
        return _describe_stopped(ev)
    return str(s.value)


def _closed(ev: StateChanged) -> str:
    parts = [f"closed {ev.code}" if ev.code is not None else "closed"]
    if ev.meaning:
        parts.append(ev.meaning)
    if ev.reason:
        parts.append(f"reason: {ev.reason}")
    if ev.http_status:
        parts.append(_http(ev))
    if ev.message and ev.message not in (ev.reason, ev.meaning):
        parts.append(ev.message)
    return SEPARATOR.join(parts)


def _describe_stopped(ev: StateChanged) -> str:
    """Why it stopped, each thing said once: the client's message, then what it does not say."""
    msg = ev.message
    parts = [msg] if msg else []
    if ev.http_status and f"HTTP {ev.http_status}" not in msg:
        parts.append(_http(ev))
    if ev.code is not None and str(ev.code) not in msg:  # a message naming its code explains it
        meaning = ev.meaning or describe(ev.code).meaning
        if msg:  # the message says what to do: the meaning's own advice would say it twice
            meaning = meaning.split(SEPARATOR)[0]
        parts.append(f"close {ev.code}: {meaning}")
    if ev.reason and ev.reason not in msg:
        parts.append(f"reason: {ev.reason}")
    if parts and parts[0].startswith("stopped"):  # "stopped on request", not "stopped — stopped on request"
        return SEPARATOR.join(parts)
    return SEPARATOR.join(["stopped", *parts])


def _http(ev: StateChanged) -> str:
    return f"HTTP {ev.http_status}" + (f" {ev.http_code}" if ev.http_code else "")


def describe_subscription(ev: SubscriptionChanged) -> str:
    """One line for a subscription change: topic, state, filter and the server's error."""
    text = f"subscription {ev.topic} {ev.state.value}"
    if ev.filter:
        text += f" filter {ev.filter!r}"
    if ev.error_code:
        text += f"{SEPARATOR}{ev.error_code}" + (f": {ev.message}" if ev.message else "")
    elif ev.message:
        text += f" ({ev.message})"
    return text


def describe_pong_missed(ev: PongMissed) -> str:
    return f"PONG missed ({ev.consecutive} in a row)" if ev.consecutive > 1 else "PONG missed"


def describe_session(ev: StateChanged | SubscriptionChanged | PongMissed | PayloadTrouble) -> str:
    """One line for a connection event that the log shows as a row of its own."""
    if isinstance(ev, StateChanged):
        return describe_state(ev)
    if isinstance(ev, SubscriptionChanged):
        return describe_subscription(ev)
    if isinstance(ev, PayloadTrouble):
        return f"payloads: {ev.message}"
    return describe_pong_missed(ev)
