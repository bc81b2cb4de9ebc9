"""One Realtime session's decisions, sans I/O: inputs in, outputs out (as h11 and websockets' protocol do).

A driver (client/engine.py on asyncio, load/session.py for a simulated user) does the I/O:
it fetches tokens, connects, waits and sends what the policy says, and tells it what
happened. The policy owns the reconnect policy of docs/protocol.md: close codes, backoff,
token refresh after 4401, request ids, subscription states and resubscribing. Times come
in as arguments: ``t`` is wall-clock seconds (the events carry it), ``mono`` a monotonic
clock (how long a connection stayed open). The receive path stays with the driver: only
ERROR frames and presence syncs reach the policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inspector.protocol.backoff import Backoff
from inspector.protocol.closecodes import ABNORMAL, AUTH_EXPIRED, NORMAL, Policy, describe
from inspector.protocol.events import State, StateChanged, StopReason, SubscriptionChanged, SubState
from inspector.protocol.frames import Subscribe, Unsubscribe, encode
from inspector.protocol.limits import MAX_REQUEST_ID
from inspector.protocol.urls import dial

STOPPED_ON_REQUEST = "stopped on request"
MAX_TRACKED_REQUESTS = 1024


@dataclass(frozen=True, slots=True)
class FetchToken:
    """Ask the token source for a token; answer with ``token_fetched`` or ``token_failed``."""

    refresh: bool = False  # after a 4401: only a different token helps


@dataclass(frozen=True, slots=True)
class Connect:
    """Open a connection; answer with ``opened`` (then ``closed``), ``connect_refused`` or ``connect_failed``."""

    url: str = field(repr=False)  # with query auth it holds the token
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    token: str = field(repr=False)
    attempt: int = 0


@dataclass(frozen=True, slots=True)
class Wait:
    """Wait ``delay`` seconds (or less, on ``reconnect_requested``); answer with ``timer_fired``."""

    delay: float


@dataclass(frozen=True, slots=True)
class Send:
    """Send these bytes as one binary message on the open connection."""

    data: bytes


Action = FetchToken | Connect | Wait
Output = FetchToken | Connect | Wait | Send | StateChanged | SubscriptionChanged


@dataclass(frozen=True, slots=True)
class SessionSettings:
    url: str
    auth: str = "header"           # or "query"
    auto_reconnect: bool = True
    token_refreshable: bool = True  # whether fetching again can give another token
    token_origin: str = "token source"  # safe to show: where the token comes from


@dataclass(slots=True)
class SubscriptionInfo:
    topic: str
    filter: str | None = None
    state: SubState = SubState.PENDING
    error_code: str | None = None
    message: str = ""
    request_id: int | None = None  # id of the SUBSCRIBE in flight
    # A refilter of an active subscription keeps it active; on ERROR we go back to this.
    previous_filter: str | None = None
    refiltering: bool = False


class RequestIds:
    """Request ids 1..MAX_REQUEST_ID, round and round, and which topic each recent one was for."""

    __slots__ = ("_last", "_topics")

    def __init__(self, last: int = 0) -> None:
        self._last = last  # the id given out last (the next is one more)
        self._topics: dict[int, str] = {}

    def new(self, topic: str) -> int:
        self._last = self._last + 1 if self._last < MAX_REQUEST_ID else 1
        self._topics[self._last] = topic
        if len(self._topics) > MAX_TRACKED_REQUESTS:
            del self._topics[next(iter(self._topics))]
        return self._last

    def answered(self, ident: int) -> str | None:
        """The topic of request ``ident`` (now answered), or None for one not (or no longer) tracked."""
        return self._topics.pop(ident, None)

    def clear(self) -> None:
        self._topics.clear()


def stop_for_close(code: int, reason: str = "") -> tuple[StopReason, str] | None:
    """The stop a close by the server with ``code`` and ``reason`` means (with its display
    text), or None when the session goes on (a retry, or a token refresh for 4401)."""
    info = describe(code)
    if info.policy is Policy.DONE:
        return StopReason.SERVER_DONE, f"server closed the connection normally ({NORMAL}); not reconnecting"
    if info.policy is Policy.STOP:
        why = reason or info.meaning
        return StopReason.SERVER_STOPPED, f"closed by the server with {code} ({why}); not reconnecting"
    return None


def refusal_stops(status: int) -> bool:
    """Whether an upgrade refused with HTTP ``status`` ends the session (only 5xx are retried)."""
    return not 500 <= status <= 599


_Stop = tuple[StopReason, dict[str, Any]]


class SessionPolicy:
    """The decisions of one session. Every input returns the outputs to carry out, in order:
    events to report, frames to send, and at most one action (last) to do next."""

    def __init__(self, conn_id: str, settings: SessionSettings, backoff: Backoff | None = None) -> None:
        self.conn_id = conn_id
        self.settings = settings
        self.backoff = backoff if backoff is not None else Backoff()
        self.state = State.IDLE
        self.subscriptions: dict[str, SubscriptionInfo] = {}
        self.ids = RequestIds()
        self.stopping = False
        self.skip_wait = False
        self.open = False
        self._token: str | None = None
        self._refreshing = False
        self._attempt = 0
        self._last_close: tuple[int | None, str] = (None, "")

    def __repr__(self) -> str:  # never the token
        return f"SessionPolicy({self.conn_id!r}, {self.state.value})"

    # ------------------------------------------------------------ the session's course

    def start(self) -> list[Output]:
        self.stopping = self.skip_wait = self._refreshing = False
        self._token = None
        self._attempt = 0
        self._last_close = (None, "")
        return [FetchToken()]

    def stop_requested(self) -> None:
        """From now on every input ends the session (the driver closes or cancels what runs)."""
        self.stopping = True

    def reconnect_requested(self) -> None:
        """Skip the backoff wait; the driver closes an open connection with 1000."""
        self.skip_wait = True

    def token_fetched(self, token: str, t: float) -> list[Output]:
        if self.stopping:
            return self._stop(t, StopReason.REQUESTED, message=STOPPED_ON_REQUEST)
        if self._refreshing:
            self._refreshing = False
            if token == self._token:
                return self._stop(t, StopReason.TOKEN_EXPIRED, code=AUTH_EXPIRED, message=(
                    f"token expired and the {self.settings.token_origin} still gives the same token"))
            self._token = token
            return self._retry(t)
        self._token = token
        return self._connect(t)

    def token_failed(self, why: str, t: float) -> list[Output]:
        if self.stopping:
            return self._stop(t, StopReason.REQUESTED, message=STOPPED_ON_REQUEST)
        if self._refreshing:
            self._refreshing = False
            return self._stop(t, StopReason.TOKEN_EXPIRED, code=AUTH_EXPIRED,
                              message=f"token expired and refreshing it failed: {why}")
        return self._stop(t, StopReason.NO_TOKEN, message=f"no token: {why}")

    def connect_refused(self, status: int, http_code: str | None, message: str, t: float) -> list[Output]:
        """The upgrade was answered with HTTP ``status`` (``http_code``: the JSON body's code)."""
        self._last_close = (None, "")
        if refusal_stops(status):
            return self._after_attempt(t, (StopReason.HTTP_REFUSED, {
                "http_status": status, "http_code": http_code, "message": message}))
        closed = self._state(t, State.CLOSED, http_status=status,
                             message=f"connect failed: server answered HTTP {status}")
        return [closed, *self._after_attempt(t, None)]

    def connect_failed(self, why: str, retryable: bool, t: float) -> list[Output]:
        """No connection: ``why`` in one line; ``retryable`` False when retrying cannot help."""
        self._last_close = (None, "")
        message = f"connect failed: {why}"
        if not retryable:
            return self._after_attempt(t, (StopReason.CONNECT_FAILED, {"message": message}))
        return [self._state(t, State.CLOSED, message=message), *self._after_attempt(t, None)]

    def opened(self, t: float, mono: float) -> list[Output]:
        self.open = True
        self.ids.clear()
        self.backoff.opened(mono)
        self.skip_wait = False  # a reconnect asked for while connecting is satisfied
        return [self._state(t, State.OPEN), *self._restore_subscriptions(t)]

    def closed(self, code: int | None, reason: str, message: str, t: float, mono: float) -> list[Output]:
        """The open connection ended with ``code`` (None: no close frame); ``message`` says
        what broke the protocol, when something did."""
        self.open = False
        self.backoff.closed(mono)
        code = ABNORMAL if code is None else code
        self._last_close = (code, reason)
        out: list[Output] = [self._state(t, State.CLOSED, code=code, reason=reason,
                                         meaning=describe(code).meaning, message=message)]
        if not self.stopping:
            out += self._suspend_subscriptions(t)
        ends = stop_for_close(code, reason)
        stop = None if ends is None else (ends[0], {"message": ends[1]})
        return out + self._after_attempt(t, stop, refresh=describe(code).policy is Policy.REFRESH_TOKEN)

    def timer_fired(self, t: float) -> list[Output]:
        self.skip_wait = False
        if self.stopping:
            self._last_close = (None, "")
            return self._stop(t, StopReason.REQUESTED, message=STOPPED_ON_REQUEST)
        return self._connect(t)

    def cancelled(self, t: float) -> list[Output]:
        """The driver cancelled what it was doing because a stop was requested."""
        self._last_close = (None, "")
        return self._stop(t, StopReason.REQUESTED, message=STOPPED_ON_REQUEST)

    def failed(self, why: str, t: float) -> list[Output]:
        """The driver itself failed (a bug): the session ends and says so."""
        self._last_close = (None, "")
        return self._stop(t, StopReason.INTERNAL_ERROR, message=f"internal error: {why}")

    def _after_attempt(self, t: float, stop: _Stop | None, refresh: bool = False) -> list[Output]:
        """What follows a connection (or an attempt at one) that ended."""
        if self.stopping:
            return self._stop(t, StopReason.REQUESTED, message=STOPPED_ON_REQUEST)
        if self.skip_wait:
            self.skip_wait = False
            self.backoff.reset()
            self._attempt = 0
            return self._connect(t)
        if stop is not None:
            return self._stop(t, stop[0], **stop[1])
        if refresh:
            if not self.settings.token_refreshable:
                return self._stop(t, StopReason.TOKEN_EXPIRED, code=AUTH_EXPIRED, reason="token expired",
                                  message="token expired; enter a fresh token")
            self._refreshing = True
            return [FetchToken(refresh=True)]
        return self._retry(t)

    def _retry(self, t: float) -> list[Output]:
        if not self.settings.auto_reconnect:
            return self._stop(t, StopReason.RECONNECT_OFF, message="connection ended; automatic reconnect is off")
        delay = self.backoff.next_delay()
        self._attempt = self.backoff.attempt
        return [self._state(t, State.WAITING, attempt=self._attempt, delay=delay), Wait(delay)]

    def _connect(self, t: float) -> list[Output]:
        assert self._token is not None, "a token comes first"
        url, headers = dial(self.settings.url, self._token, self.settings.auth)
        return [self._state(t, State.CONNECTING, attempt=self._attempt),
                Connect(url, tuple(headers), self._token, self._attempt)]

    def _state(self, t: float, state: State, **fields: Any) -> StateChanged:
        self.state = state
        return StateChanged(self.conn_id, t, state, **fields)

    def _stop(self, t: float, stop: StopReason, **fields: Any) -> list[Output]:
        self.open = False
        if "code" not in fields:
            fields["code"], fields["reason"] = self._last_close
        return [self._state(t, State.STOPPED, stop=stop, **fields)]

    # ------------------------------------------------------------ subscriptions

    def subscribe(self, topic: str, filter: str | None, t: float) -> list[Output]:
        """Subscribe, or change the filter of an existing subscription (refilter)."""
        old = self.subscriptions.get(topic)
        sub = SubscriptionInfo(topic, filter)
        if old is not None and old.state is SubState.ACTIVE and self.open:
            # The server replaces the filter in place; the subscription stays active.
            sub.state = SubState.ACTIVE
            sub.previous_filter = old.filter
            sub.refiltering = True
        self.subscriptions[topic] = sub
        out: list[Output] = [self._subscribe_frame(sub)] if self.open else []
        out.append(SubscriptionChanged(self.conn_id, t, topic, sub.state, filter,
                                       message="filter changed" if sub.refiltering else ""))
        return out

    def unsubscribe(self, topic: str, t: float) -> list[Output]:
        sub = self.subscriptions.pop(topic, None)
        out: list[Output] = [Send(encode(Unsubscribe(topic, self.ids.new(topic))))] if self.open else []
        if sub is not None:
            out.append(SubscriptionChanged(self.conn_id, t, topic, SubState.REMOVED, sub.filter))
        return out

    def presence_received(self, topic: str, data: object, t: float) -> list[Output]:
        """A presence EVENT: its sync confirms the subscription."""
        if not isinstance(data, dict) or data.get("action") != "sync":
            return []
        sub = self.subscriptions.get(topic)
        if sub is None:
            return []
        if sub.request_id is not None:
            self.ids.answered(sub.request_id)
        sub.refiltering = False
        if sub.state is not SubState.PENDING:
            return []
        sub.state = SubState.ACTIVE
        return [SubscriptionChanged(self.conn_id, t, topic, SubState.ACTIVE, sub.filter)]

    def error_received(self, ref: int | None, code: str, message: str, t: float) -> list[Output]:
        """An ERROR frame: one answering a SUBSCRIBE fails it (or undoes its refilter)."""
        topic = self.ids.answered(ref) if ref is not None else None
        sub = self.subscriptions.get(topic) if topic is not None else None
        if sub is None or sub.request_id != ref:
            return []
        sub.error_code = code
        sub.message = message
        if sub.refiltering:
            # "the subscription is not made or not changed": the old filter still holds.
            sub.refiltering = False
            sub.filter = sub.previous_filter
            return [SubscriptionChanged(self.conn_id, t, sub.topic, sub.state, sub.filter, error_code=code,
                                        message=f"filter not changed: {message}")]
        sub.state = SubState.FAILED
        return [SubscriptionChanged(self.conn_id, t, sub.topic, SubState.FAILED, sub.filter, error_code=code,
                                    message=message)]

    def _subscribe_frame(self, sub: SubscriptionInfo) -> Send:
        sub.request_id = self.ids.new(sub.topic)
        return Send(encode(Subscribe(sub.topic, sub.filter, sub.request_id)))

    def _restore_subscriptions(self, t: float) -> list[Output]:
        out: list[Output] = []
        for sub in self.subscriptions.values():
            if sub.state is SubState.FAILED:
                continue
            changed = sub.state is not SubState.PENDING or sub.error_code is not None
            sub.state = SubState.PENDING
            sub.refiltering = False
            sub.error_code = None
            sub.message = ""
            out.append(self._subscribe_frame(sub))
            if changed:
                out.append(SubscriptionChanged(self.conn_id, t, sub.topic, SubState.PENDING, sub.filter))
        return out

    def _suspend_subscriptions(self, t: float) -> list[Output]:
        # Subscriptions end with the connection; they come back as PENDING on reconnect.
        out: list[Output] = []
        for sub in self.subscriptions.values():
            if sub.state is SubState.ACTIVE:
                sub.state = SubState.PENDING
                out.append(SubscriptionChanged(self.conn_id, t, sub.topic, SubState.PENDING, sub.filter,
                                               message="connection ended"))
        return out
