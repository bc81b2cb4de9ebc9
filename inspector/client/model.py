"""Plain data the client engine exposes: configuration, subscriptions, counters, errors."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from inspector.client.tokens import TokenSource
from inspector.protocol import backoff, limits
from inspector.protocol.events import SubState
from inspector.redact import redact_url

# Server frames over the protocol's MAX_MESSAGE_SIZE are still received (and shown as such)
# up to this size; past it websockets closes with 1009.
MAX_INCOMING = 4 * 2**20


@dataclass
class ClientConfig:
    url: str
    token: TokenSource
    auth: str = "header"  # "header" (Authorization: Bearer) or "query" (?token=)
    ping_interval: float | None = None  # our own PINGs for RTT; None = off
    pong_timeout: float = limits.PONG_TIMEOUT
    auto_reconnect: bool = True
    backoff_initial: float = backoff.INITIAL
    backoff_cap: float = backoff.CAP
    backoff_reset_after: float = backoff.RESET_AFTER
    open_timeout: float = 10.0
    rng: Callable[[], float] | None = None  # jitter randomness in [0, 1); None = random.random

    def __repr__(self) -> str:
        return (f"ClientConfig(url={redact_url(self.url)!r}, token={self.token!r}, auth={self.auth!r}, "
                f"ping_interval={self.ping_interval!r}, auto_reconnect={self.auto_reconnect!r})")

    def validate(self) -> None:
        """Raise ValueError (with a redacted URL) when the configuration cannot work."""
        try:
            parts = urlsplit(self.url)
            host = parts.hostname
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            raise ValueError(f"invalid URL {redact_url(self.url)!r}: {exc}") from None
        if parts.scheme not in ("ws", "wss") or not host:
            raise ValueError(f"not a ws:// or wss:// URL: {redact_url(self.url)!r}")
        if self.auth not in ("header", "query"):
            raise ValueError(f"auth must be 'header' or 'query', not {self.auth!r}")
        if not isinstance(self.token, TokenSource):
            raise TypeError("token must be a TokenSource")
        if self.ping_interval is not None and not self.ping_interval > 0:
            raise ValueError("ping_interval must be positive or None")


def is_loopback_host(host: str | None) -> bool:
    """127.0.0.0/8, ::1, ``localhost`` and ``*.localhost`` (RFC 6761) never leave the machine."""
    if not host:
        return False
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cleartext_token_warning(url: str) -> str | None:
    """One line when a token would cross the network unencrypted (ws:// to another host)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("ws", "http") or is_loopback_host(host):
        return None
    return f"warning: the token goes unencrypted over ws:// to {host}; anyone on the way can read it (use wss://)"


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


@dataclass(slots=True)
class ClientStats:
    frames_in: int = 0
    frames_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    connects: int = 0       # connections that opened
    attempts: int = 0       # connection attempts (opened or not)
    last_rtt: float | None = None


class TopicError(ValueError):
    """A topic name that the protocol does not allow. ``topic_error`` says why."""

    def __init__(self, topic: object, reason: str):
        self.topic = topic
        self.topic_error = reason
        shown = repr(topic) if not isinstance(topic, str) or len(topic) <= 60 else repr(topic[:57] + "...")
        super().__init__(f"invalid topic {shown}: {reason}")


class NotConnected(RuntimeError):
    """A send while no connection is open."""


