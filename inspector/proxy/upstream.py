"""The proxy's connection to the upstream: TCP (through an HTTP proxy when asked), TLS for
wss://, the client's upgrade request sent on, and the upstream's answer read back."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field

from websockets.uri import WebSocketURI, parse_uri

from inspector.client.failures import classify
from inspector.client.model import ConnectOptions
from inspector.client.proxy import Proxy, ProxyError, parse_proxy, proxy_for
from inspector.client.proxy import open_tunnel as tunnel_through
from inspector.client.tls import client_context
from inspector.proxy.upgrade import MAX_HEAD, BadHead, ResponseHead, parse_response


@dataclass(frozen=True)
class Upstream:
    """Where to connect, checked once at start (TLS files read, the proxy URL parsed, the
    environment's proxy looked up: in a reconnect storm, once per connection was a cost)."""

    url: str
    uri: WebSocketURI
    options: ConnectOptions
    ssl_context: ssl.SSLContext | None
    via: Proxy | ProxyError | None = field(default=None)  # the HTTP proxy to tunnel through, or why none can be

    @classmethod
    def make(cls, url: str, options: ConnectOptions) -> Upstream:
        uri = parse_uri(url)
        return cls(url, uri, options, client_context(options) if uri.secure else None, _via(url, options))

    @property
    def host_header(self) -> str:
        uri = self.uri
        host = f"[{uri.host}]" if ":" in uri.host else uri.host
        default = 443 if uri.secure else 80
        return host if uri.port == default else f"{host}:{uri.port}"


class UpstreamFailed(Exception):
    """The upstream could not be reached or spoke no HTTP: ``args[0]`` is the line ``tail`` prints."""


def _via(url: str, options: ConnectOptions) -> Proxy | ProxyError | None:
    """The proxy to connect through (none, --proxy's, the environment's); an unusable one is
    kept as its error, which each connection then reports as it did when looked up there."""
    try:
        if options.no_proxy:
            return None
        if options.proxy:
            return parse_proxy(options.proxy, "--proxy")
        return proxy_for(url)
    except ProxyError as exc:
        return exc


async def open_upstream(up: Upstream) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    uri = up.uri
    hostname = uri.host if up.ssl_context else None
    try:
        proxy = up.via
        if isinstance(proxy, ProxyError):
            raise ProxyError(*proxy.args)  # a fresh one: the kept one gathers no tracebacks
        if proxy is None:
            return await asyncio.open_connection(uri.host, uri.port, ssl=up.ssl_context, server_hostname=hostname,
                                                 limit=MAX_HEAD)
        sock = await tunnel_through(proxy, uri.host, uri.port)
        return await asyncio.open_connection(sock=sock, ssl=up.ssl_context, server_hostname=hostname,
                                             limit=MAX_HEAD)
    except (OSError, ssl.SSLError) as exc:
        raise UpstreamFailed(classify(exc, uri.host, uri.port).message) from None


async def read_response(reader: asyncio.StreamReader) -> tuple[ResponseHead, bytes]:
    """The upstream's answer to the upgrade: its head (parsed) and the head's exact bytes."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        raise UpstreamFailed("the upstream closed the connection before answering the upgrade") from None
    except asyncio.LimitOverrunError:
        raise UpstreamFailed("the upstream's answer to the upgrade has an oversize head") from None
    try:
        return parse_response(raw[:-4]), raw
    except BadHead as exc:
        raise UpstreamFailed(str(exc)) from None


BODY_TIMEOUT = 2.0


async def read_body(reader: asyncio.StreamReader, head: ResponseHead) -> bytes:
    """The body of a refusal (by Content-Length, else what arrives before EOF or BODY_TIMEOUT)."""
    length = head.get("Content-Length")
    try:
        if length is not None and length.isdigit():
            return await asyncio.wait_for(reader.readexactly(int(length)), BODY_TIMEOUT)
        return await asyncio.wait_for(reader.read(MAX_HEAD), BODY_TIMEOUT)
    except (TimeoutError, asyncio.IncompleteReadError, OSError):
        return b""
