"""Which browser origins may open a WebSocket to the mock.

Browsers let any page connect to 127.0.0.1, and the mock accepts any token by default,
so an upgrade whose ``Origin`` names a page that is not on this machine is refused.
Requests without ``Origin`` come from non-browser clients and are always allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

ANY = "*"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def canonical_origin(text: str) -> str:
    """``scheme://host[:port]`` in lower case without a default port, or ``null``.

    Raises ValueError when ``text`` is not an origin (a path, query, user info or no host).
    """
    text = text.strip()
    if text.lower() == "null":  # sandboxed frames and file:// pages
        return "null"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(f"not an origin: {text[:100]!r}") from None
    host = parts.hostname
    if not parts.scheme or not host or parts.path not in ("", "/") or parts.query or parts.fragment \
            or parts.username is not None or "?" in text or "#" in text:
        raise ValueError(f"not an origin (scheme://host[:port]): {text[:100]!r}")
    scheme = parts.scheme.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def is_loopback(origin: str) -> bool:
    """True for http(s) pages served from 127.0.0.1, localhost or [::1], on any port."""
    scheme, sep, rest = origin.partition("://")
    if not sep or scheme not in ("http", "https"):
        return False
    host = rest.rsplit(":", 1)[0] if not rest.endswith("]") else rest
    return host in LOOPBACK_HOSTS


class OriginPolicy:
    """Loopback origins, plus ``allowed`` (canonicalised; ``*`` allows every origin)."""

    def __init__(self, allowed: Iterable[str] = ()):
        allowed = list(allowed)
        self.allow_all = ANY in allowed
        self.allowed = frozenset(canonical_origin(o) for o in allowed if o != ANY)

    def allows(self, values: list[str]) -> bool:
        """Whether a request with these ``Origin`` header values may proceed."""
        if self.allow_all or not values:
            return True
        if len(values) > 1:
            return False
        try:
            origin = canonical_origin(values[0])
        except ValueError:
            return False
        return origin in self.allowed or is_loopback(origin)
