"""Plain data the client engine exposes: configuration, subscriptions, counters, errors."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from inspector.client.tokens import TokenSource
from inspector.protocol import backoff, limits
from inspector.protocol.session import SubscriptionInfo as SubscriptionInfo  # its home is the session policy
from inspector.redact import redact_url

# Server frames over the protocol's MAX_MESSAGE_SIZE are still received (and shown as such)
# up to this size; past it websockets closes with 1009.
MAX_INCOMING = 4 * 2**20


# Headers the opening handshake sets itself (RFC 6455 4.1); a user's copy would break it.
_HANDSHAKE_HEADERS = frozenset({"host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-version",
                                "sec-websocket-extensions", "sec-websocket-protocol", "origin"})
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # an RFC 9110 token


@dataclass(frozen=True)
class ConnectOptions:
    """How to reach the server beyond its URL: TLS files, extra headers, subprotocols, proxy.

    Only paths and names: the client key's passphrase is held in memory only (never stored).
    ``proxy``: an http:// proxy URL used for every connection; ``no_proxy``: none at all, not
    even the environment's; neither: the environment's (HTTPS_PROXY, NO_PROXY, ...).
    """

    cacert: str | None = None
    cert: str | None = None
    key: str | None = None
    key_password: str | None = field(default=None, repr=False)
    insecure: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    origin: str | None = None
    subprotocols: tuple[str, ...] = ()
    proxy: str | None = None
    no_proxy: bool = False

    def __repr__(self) -> str:  # header values and the proxy's credentials may be secrets: names only
        return (f"ConnectOptions(cacert={self.cacert!r}, cert={self.cert!r}, key={self.key!r}, "
                f"insecure={self.insecure!r}, headers={[n for n, _ in self.headers]!r}, origin={self.origin!r}, "
                f"subprotocols={list(self.subprotocols)!r}, proxy={redact_url(self.proxy) if self.proxy else None!r}, "
                f"no_proxy={self.no_proxy!r})")

    def validate(self) -> None:
        """Raise ValueError saying which option cannot work (never echoing a header's value)."""
        if self.key and not self.cert:
            raise ValueError("a client key needs its certificate (--cert)")
        self._validate_headers()
        self._validate_origin()
        self._validate_proxy()

    def _validate_headers(self) -> None:
        for name, value in self.headers:
            if not _HEADER_NAME.match(name):
                raise ValueError(f"header name {name!r} is not a valid HTTP header name")
            if name.lower() in _HANDSHAKE_HEADERS:
                raise ValueError(f"header {name!r} is set by the WebSocket handshake"
                                 + (" (use --origin)" if name.lower() == "origin" else "")
                                 + (" (use --subprotocol)" if name.lower() == "sec-websocket-protocol" else ""))
            if any(c in value for c in "\r\n\0"):
                raise ValueError(f"header {name!r}: the value must be one line")
        for name in self.subprotocols:
            if not _HEADER_NAME.match(name):
                raise ValueError(f"subprotocol {name!r} is not a valid token")

    def _validate_origin(self) -> None:
        if self.origin is not None:
            parts = urlsplit(self.origin)
            if not parts.scheme or not parts.netloc or any(c in self.origin for c in "\r\n"):
                raise ValueError(f"origin {self.origin!r} is not scheme://host[:port]")

    def _validate_proxy(self) -> None:
        if self.proxy is not None and self.no_proxy:
            raise ValueError("--proxy and --no-proxy contradict each other")
        if self.proxy is not None:
            try:
                parts = urlsplit(self.proxy if "://" in self.proxy else f"http://{self.proxy}")
                parts.port  # noqa: B018 - raises ValueError on a bad port
            except ValueError:
                raise ValueError("the proxy URL is not valid") from None
            if parts.scheme != "http" or not parts.hostname:
                raise ValueError("the proxy must be an http://host:port URL (HTTP CONNECT)")

    def header_with(self, secret: str) -> str | None:
        """The name of an extra header whose value holds ``secret`` (the token), if any."""
        if not secret:
            return None
        for name, value in self.headers:
            if secret in value:
                return name
        return None


def parse_header(text: str) -> tuple[str, str]:
    """``"Name: value"`` (curl's form) → (name, value); ValueError naming only the name."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name:
        raise ValueError("a header is written 'Name: value'")
    if not _HEADER_NAME.match(name):
        raise ValueError(f"header name {name!r} is not a valid HTTP header name")
    return name, value.strip()


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
    options: ConnectOptions = field(default_factory=ConnectOptions)

    def __repr__(self) -> str:
        return (f"ClientConfig(url={redact_url(self.url)!r}, token={self.token!r}, auth={self.auth!r}, "
                f"ping_interval={self.ping_interval!r}, auto_reconnect={self.auto_reconnect!r}, "
                f"options={self.options!r})")

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
        self.options.validate()
        if parts.scheme == "ws" and (self.options.cacert or self.options.cert or self.options.insecure):
            raise ValueError("TLS options need a wss:// URL")
        if self.auth == "header" and any(n.lower() == "authorization" for n, _ in self.options.headers):
            raise ValueError("header 'Authorization' carries the token: use the token options "
                             "(or --auth query to send the token in the URL)")


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


