"""Export sessions as a pcapng capture that Wireshark opens like a real one.

Each connection becomes a TCP connection (Ethernet / IPv4 / TCP) carrying what really went
over the wire: the three-way handshake, the HTTP upgrade to the connection's URL (masked
by structure, no credentials: ``redact_url``), then every recorded message as one
WebSocket frame, server frames unmasked and client frames masked as RFC 6455 requires, a
close handshake when the session recorded a close code, and FINs. A frame larger than
one IPv4 packet is split into segments, each acknowledged by the peer, so Wireshark's TCP
analysis finds nothing to flag. A reconnect is a new TCP connection from a new port.

Addresses: the URL's IPv4 host as is (``localhost`` is 127.0.0.1); a host name becomes a
documentation address (198.51.100.0/24, RFC 5737), one per name. The server port is the
URL's; ``wss://`` connections are written on port 80 because the capture holds the
messages in clear and Wireshark would look for TLS on 443. The first packet of each TCP
connection carries a comment with the connection's label and URL, which ``replay`` reads back.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import os
import random
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from inspector import __version__
from inspector.private_files import open_private
from inspector.protocol.events import OUT, FrameSeen, SessionEvent, State, StateChanged
from inspector.protocol.wsframes import frame_bytes, is_sendable_close_code
from inspector.recording.format import RecordingError
from inspector.recording.har_export import UNKNOWN_URL
from inspector.recording.pcapng_file import LINKTYPE_ETHERNET, PcapngWriter
from inspector.recording.pcapng_net import (
    MAX_SEGMENT,
    TCP_ACK,
    TCP_FIN,
    TCP_PSH,
    TCP_SYN,
    ethernet_ipv4_tcp,
)
from inspector.redact import redact_url

COMMENT_PREFIX = "realtime-inspector "
CLIENT_MAC, SERVER_MAC = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
CLIENT_IP, LOOPBACK = "192.0.2.1", "127.0.0.1"  # TEST-NET-1 for a client talking to a named host
NAMED_HOSTS = "198.51.100."                      # TEST-NET-2: one address per host name
FIRST_CLIENT_PORT = 49152
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MSS_OPTION = struct.pack("!BBH", 2, 4, MAX_SEGMENT)
_ENDED = (State.CLOSED, State.STOPPED, State.WAITING)


class _Hosts:
    """Addresses for the URLs' hosts: IPv4 literals kept, names given documentation addresses."""

    def __init__(self) -> None:
        self._named: dict[str, str] = {}

    def server(self, host: str) -> str:
        if host == "localhost":
            return LOOPBACK
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            pass
        if host not in self._named:
            self._named[host] = NAMED_HOSTS + str(len(self._named) % 254 + 1)
        return self._named[host]


class _Stream:
    """One synthesised TCP connection and its sequence numbers."""

    def __init__(self, out: PcapngWriter, index: int, conn: str, url: str, hosts: _Hosts) -> None:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = None
        tls = parts.scheme in ("wss", "https")
        server_ip = hosts.server(parts.hostname or "unknown")
        self.out = out
        self.server = (server_ip, port if port and not (tls and port == 443) else 80)
        self.client = (LOOPBACK if ipaddress.IPv4Address(server_ip).is_loopback else CLIENT_IP,
                       FIRST_CLIENT_PORT + index % 16384)
        self.rng = random.Random(index)  # reproducible output; masks need no secrecy in a file
        self.c_seq = self.rng.getrandbits(32)
        self.s_seq = self.rng.getrandbits(32)
        self.ident = {True: 0, False: 0}
        self.url, self.conn, self.host = url, conn, parts.netloc.rpartition("@")[2] or "unknown"
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def _send(self, t: float, from_client: bool, flags: int, payload: bytes = b"", options: bytes = b"",
              comment: str = "") -> None:
        src, dst = (self.client, self.server) if from_client else (self.server, self.client)
        seq, ack = (self.c_seq, self.s_seq) if from_client else (self.s_seq, self.c_seq)
        ack = ack if flags & TCP_ACK else 0
        mac = (CLIENT_MAC, SERVER_MAC) if from_client else (SERVER_MAC, CLIENT_MAC)
        self.ident[from_client] += 1
        frame = ethernet_ipv4_tcp(mac[0], mac[1], src, dst, seq, ack, flags, payload, self.ident[from_client],
                                  options)
        self.out.packet(t, frame, comment)
        used = len(payload) + (1 if flags & (TCP_SYN | TCP_FIN) else 0)
        if from_client:
            self.c_seq = (self.c_seq + used) & 0xFFFFFFFF
        else:
            self.s_seq = (self.s_seq + used) & 0xFFFFFFFF

    def data(self, t: float, from_client: bool, payload: bytes) -> None:
        """Bytes in one direction, in segments each acknowledged by the peer."""
        for i in range(0, len(payload), MAX_SEGMENT):
            chunk = payload[i:i + MAX_SEGMENT]
            last = i + MAX_SEGMENT >= len(payload)
            self._send(t, from_client, TCP_ACK | (TCP_PSH if last else 0), chunk)
            self._send(t, not from_client, TCP_ACK)

    def open(self, t: float) -> None:
        label = COMMENT_PREFIX + json.dumps({"conn": self.conn, "url": self.url}, ensure_ascii=False)
        self._send(t, True, TCP_SYN, options=MSS_OPTION, comment=label)
        self._send(t, False, TCP_SYN | TCP_ACK, options=MSS_OPTION)
        self._send(t, True, TCP_ACK)
        key = base64.b64encode(self.rng.randbytes(16)).decode("ascii")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode("ascii")).digest()).decode("ascii")
        request = (f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                   f"User-Agent: realtime-inspector/{__version__}\r\n\r\n")
        response = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Accept: {accept}\r\n\r\n")
        self.data(t, True, request.encode("ascii", "backslashreplace"))
        self.data(t, False, response.encode("ascii"))

    def message(self, t: float, ev: FrameSeen) -> None:
        from_client = ev.direction == OUT
        mask = self.rng.randbytes(4) if from_client else None
        self.data(t, from_client, frame_bytes(0x1 if ev.text else 0x2, bytes(ev.data), mask))

    def close(self, t: float, code: int | None, reason: str) -> None:
        if code is not None and is_sendable_close_code(code):
            body = struct.pack("!H", code) + reason.encode("utf-8")[:123]
            self.data(t, False, frame_bytes(0x8, body))
            self.data(t, True, frame_bytes(0x8, struct.pack("!H", code), self.rng.randbytes(4)))
        self._send(t, False, TCP_FIN | TCP_ACK)
        self._send(t, True, TCP_FIN | TCP_ACK)
        self._send(t, False, TCP_ACK)


def write_pcapng(events: Iterable[SessionEvent], f: BinaryIO, url: str = "",
                 conn_urls: dict[str, str] | None = None) -> int:
    """Write ``events`` to the binary file ``f``; returns the number of messages written."""
    conn_urls = conn_urls or {}
    out = PcapngWriter(f, LINKTYPE_ETHERNET, application=f"realtime-inspector {__version__}",
                       interface="realtime-inspector export")
    hosts = _Hosts()
    streams: dict[str, _Stream] = {}
    made = 0
    messages = 0

    def stream(conn: str, t: float) -> _Stream:
        nonlocal made
        s = streams.get(conn)
        if s is None:
            s = streams[conn] = _Stream(out, made, conn, redact_url(conn_urls.get(conn) or url or UNKNOWN_URL),
                                        hosts)
            made += 1
            s.open(t)
        return s

    for ev in events:
        if isinstance(ev, FrameSeen):
            stream(ev.conn, ev.t).message(ev.t, ev)
            messages += 1
        elif isinstance(ev, StateChanged):
            if ev.state == State.OPEN:
                if ev.conn in streams:  # opened again without a close in between
                    streams.pop(ev.conn).close(ev.t, None, "")
                stream(ev.conn, ev.t)
            elif ev.state in _ENDED and ev.conn in streams:
                streams.pop(ev.conn).close(ev.t, ev.code, ev.reason)
    return messages


def export_pcapng(events: Iterable[SessionEvent], path: str | os.PathLike[str], url: str = "",
                  conn_urls: dict[str, str] | None = None) -> int:
    """Write ``events`` as a pcapng file (mode 0600: it holds traffic); returns the number of messages."""
    try:
        with open_private(path, "wb") as f:
            return write_pcapng(events, f, url, conn_urls)
    except OSError as exc:
        raise RecordingError(f"cannot write {Path(path).name}: {exc.strerror or exc}") from None
