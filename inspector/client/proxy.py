"""The proxy the environment names for a WebSocket URL, and an HTTP CONNECT tunnel through it.

Which proxy is chosen follows websockets' rule (RFC 6455 "Proxy Usage": the ws/wss
entries first, then https, then http); HTTP proxies only.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import urllib.request
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

_MAX_HEAD = 64 * 1024


@dataclass(frozen=True, slots=True)
class Proxy:
    host: str
    port: int
    username: str | None = None
    password: str | None = None


class ProxyError(OSError):
    """The proxy could not be used or refused the tunnel (never names its credentials)."""


def proxy_for(url: str) -> Proxy | None:
    parts = urlsplit(url)
    secure = parts.scheme == "wss"
    host, port = parts.hostname or "", parts.port or (443 if secure else 80)
    if urllib.request.proxy_bypass(f"{host}:{port}"):
        return None
    proxies = urllib.request.getproxies()
    for scheme in (["wss", "socks", "https"] if secure else ["ws", "socks", "https", "http"]):
        address = proxies.get(scheme)
        if address is None:
            continue
        if scheme == "socks":
            raise ProxyError("the socks proxy in the environment is not supported (HTTP only)")
        return parse_proxy(address, "the proxy in the environment")
    return None


def parse_proxy(address: str, named: str = "the proxy") -> Proxy:
    """An ``http://[user:password@]host[:port]`` proxy URL (a bare host:port is http too)."""
    try:
        proxy = urlsplit(address if "://" in address else f"http://{address}")
        port = proxy.port
    except ValueError:
        raise ProxyError(f"{named} is not a valid URL") from None
    if proxy.scheme != "http":
        raise ProxyError(f"{named} is {proxy.scheme}://, which is not supported (HTTP only)")
    if not proxy.hostname:
        raise ProxyError(f"{named} has no host")
    user = unquote(proxy.username) if proxy.username is not None else None
    password = unquote(proxy.password) if proxy.password is not None else None
    return Proxy(proxy.hostname, port or 80, user, password)


async def open_tunnel(proxy: Proxy, host: str, port: int) -> socket.socket:
    """A connected socket through which bytes reach ``host:port`` (HTTP CONNECT)."""
    loop = asyncio.get_running_loop()
    named = f"the proxy {proxy.host}:{proxy.port}"
    try:
        infos = await loop.getaddrinfo(proxy.host, proxy.port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise ProxyError(f"{named}: name not resolved") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setblocking(False)
    try:
        try:
            await loop.sock_connect(sock, address)
        except ConnectionRefusedError:
            raise ProxyError(f"cannot reach {named}: connection refused") from None
        except OSError as exc:
            raise ProxyError(f"cannot reach {named}: {exc.strerror or 'connection failed'}") from None
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        request = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
        if proxy.username is not None:
            credentials = base64.b64encode(f"{proxy.username}:{proxy.password or ''}".encode()).decode()
            request += f"Proxy-Authorization: Basic {credentials}\r\n"
        await loop.sock_sendall(sock, (request + "\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = await loop.sock_recv(sock, 4096)
            if not chunk or len(head) > _MAX_HEAD:
                raise ProxyError(f"{named} closed the connection during CONNECT")
            head += chunk
        status = head.split(b"\r\n", 1)[0].split(b" ", 2)
        if len(status) < 2:
            raise ProxyError(f"{named} sent no status line")
        code = status[1].decode("ascii", "replace")[:3]
        if code == "407":
            raise ProxyError(f"{named} refused the credentials (HTTP 407)" if proxy.username is not None
                             else f"{named} wants authentication (HTTP 407): put user:password in the proxy URL")
        if not code.startswith("2"):
            raise ProxyError(f"{named} refused the tunnel to {target}: HTTP {code}")
        return sock
    except BaseException:
        sock.close()
        raise
