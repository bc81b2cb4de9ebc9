"""Read the WebSocket sessions in a packet capture (pcapng or pcap) as a recording.

Each TCP connection is reassembled per direction (pcapng_tcp.py). One that starts with
an HTTP ``GET`` carrying ``Upgrade: websocket`` is followed: the server's answer (101, or
a refusal such as a 401 with its JSON ``code``), then the WebSocket frames of both
directions. Server frames go through the project's RFC 6455 parser (protocol/wsframes.py);
client frames are unmasked first and then go through the same parser. Every other
connection and packet is left alone. Connections are labelled ``ws1``, ``ws2``, ...
unless the capture is an export of ours, whose first packets name them.

Like a HAR, a capture is read whole when opened (its packets are gone once parsed; only
the messages are kept). Problems (cut packets, gaps, broken frames) are noted one line
each, and everything else is kept.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from inspector.client.failures import http_line
from inspector.protocol.closecodes import ABNORMAL, describe
from inspector.protocol.events import IN, OUT, FrameSeen, SessionEvent, State, StateChanged
from inspector.protocol.frames import decode_received
from inspector.protocol.wsframes import CloseReceived, FrameParser, TextMessage
from inspector.recording.format import RecordingError, make_header
from inspector.recording.opened import OpenedFile
from inspector.recording.pcapng_export import COMMENT_PREFIX
from inspector.recording.pcapng_file import CaptureError, CaptureReader
from inspector.recording.pcapng_net import TCP_ACK, TCP_SYN, NotTcp, Segment, tcp_segment
from inspector.recording.pcapng_tcp import Direction
from inspector.redact import redact_url

MAX_HTTP_HEAD = 1 << 16  # an upgrade request or answer longer than this is not one

Endpoint = tuple[str, int]


class _Unmasker:
    """Client frames in, the same frames unmasked out, so the receive parser can read them."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> bytes:
        buf = self._buf
        buf += data
        out = []
        i = 0
        while len(buf) - i >= 2:
            b1 = buf[i + 1]
            n, head = b1 & 0x7F, 2
            if n >= 126:
                head = 4 if n == 126 else 10
                if len(buf) - i < head:
                    break
                n = int.from_bytes(buf[i + 2:i + head], "big")
            key_len = 4 if b1 & 0x80 else 0
            end = i + head + key_len + n
            if len(buf) < end:
                break
            header = bytes((buf[i], b1 & 0x7F)) + bytes(buf[i + 2:i + head])
            payload = bytes(buf[i + head + key_len:end])
            if key_len and n:
                key = bytes(buf[i + head:i + head + 4])
                key = (key * (n // 4 + 1))[:n]
                payload = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")
            out.append(header + payload)
            i = end
        del buf[:i]
        return b"".join(out)


class _Connection:
    def __init__(self, client: Endpoint, server: Endpoint, comment: str) -> None:
        self.client, self.server = client, server
        self.dirs = {client: Direction(), server: Direction()}
        self.phase = "request"  # request → response → ws | refused | ignored
        self.head = {client: bytearray(), server: bytearray()}
        self.early_client = b""  # client bytes after its request, before the server's answer
        self.label, self.url = _our_label(comment)
        self.conn = ""
        self.parsers = {IN: FrameParser(max_size=None), OUT: FrameParser(max_size=None)}
        self.unmask = _Unmasker()
        self.ended = False
        self.refused: tuple[int, int, bytearray] | None = None  # status, body length, body so far
        self.refused_t = 0.0


def _our_label(comment: str) -> tuple[str, str]:
    """(connection label, URL) from the comment an export of ours puts on a connection's SYN."""
    if not comment.startswith(COMMENT_PREFIX):
        return "", ""
    try:
        obj = json.loads(comment[len(COMMENT_PREFIX):])
    except ValueError:
        return "", ""
    if not isinstance(obj, dict):
        return "", ""
    conn, url = obj.get("conn"), obj.get("url")
    return (conn if isinstance(conn, str) else ""), (redact_url(url) if isinstance(url, str) else "")


def _headers(head: bytes) -> tuple[str, dict[str, str]]:
    """(first line, headers by lower-case name) of an HTTP/1.x message head."""
    lines = head.decode("latin-1").split("\r\n")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            fields.setdefault(name.strip().lower(), value.strip())
    return lines[0], fields


class CaptureRecording(OpenedFile):
    """A capture opened like a Recording (``OpenedFile``)."""

    source = "capture"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.conn_urls: dict[str, str] = {}
        self.ignored_connections = 0
        self._events: list[tuple[float, int, SessionEvent]] = []
        self._conns: dict[tuple[Endpoint, Endpoint], _Connection] = {}
        self._links_noted: set[int] = set()
        self.start = 0.0
        self.header = {}

    def _emit(self, ev: SessionEvent) -> None:
        self._events.append((ev.t, len(self._events), ev))

    # ------------------------------------------------------------ packets

    def read(self, reader: CaptureReader) -> None:
        for packet in reader:
            try:
                seg = tcp_segment(packet.linktype, packet.data)
            except NotTcp as exc:
                if str(exc).startswith("link type") and packet.linktype not in self._links_noted:
                    self._links_noted.add(packet.linktype)
                    self._note(f"packet {packet.number}: {exc}; packets of that link type skipped")
                continue
            if seg.cut:
                self._note(f"packet {packet.number}: the capture kept only part of it (snap length); "
                           "its connection is read up to there")
                continue
            self._segment(seg, packet.t, packet.comment)
        for line in reader.skipped:
            self._note(line)
        if reader.truncated:
            self.truncated = True
            self.torn_bytes = reader.truncated
        self._finish()

    def _segment(self, seg: Segment, t: float, comment: str) -> None:
        key = (seg.src, seg.dst) if seg.src < seg.dst else (seg.dst, seg.src)
        c = self._conns.get(key)
        syn_only = seg.flags & (TCP_SYN | TCP_ACK) == TCP_SYN
        if c is not None and syn_only and (c.ended or c.phase != "request"):
            self._end(c, t)
            c = None  # the same ports used again: a new connection
        if c is None:
            if seg.flags & TCP_SYN:
                client = seg.src if syn_only else seg.dst
            elif seg.payload.startswith(b"GET "):
                client = seg.src
            else:
                return  # joined mid-connection and not at a request: nothing to follow
            server = seg.dst if client == seg.src else seg.src
            c = self._conns[key] = _Connection(client, server, comment)
        if c.phase == "ignored":
            return
        data = c.dirs[seg.src].add(seg)
        if data:
            self._data(c, seg.src == c.client, data, t)
        d = c.dirs[seg.src]
        if (d.fin or d.rst) and not c.ended:
            self._end(c, t)

    def _data(self, c: _Connection, from_client: bool, data: bytes, t: float) -> None:
        if c.phase == "ws":
            self._frames(c, OUT if from_client else IN, data, t)
        elif c.phase == "refused":
            if not from_client and c.refused is not None:  # bytes past a refusal's body are not read
                self._refused_body(c, data, t)
        elif from_client and c.phase == "request":
            self._request(c, data)
        elif from_client:
            c.early_client += data
        elif c.phase == "response":
            self._response(c, data, t)

    def _request(self, c: _Connection, data: bytes) -> None:
        buf = c.head[c.client]
        buf += data
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HTTP_HEAD or not b"GET ".startswith(bytes(buf[:4])):
                self._ignore(c)
            return
        line, fields = _headers(bytes(buf[:end]))
        method, _, rest = line.partition(" ")
        target = rest.rpartition(" ")[0]
        if method != "GET" or "websocket" not in fields.get("upgrade", "").lower():
            self._ignore(c)
            return
        if not c.url:
            if "://" in target:  # absolute form, as sent to a proxy
                c.url = redact_url(target)
            else:
                scheme = "wss" if c.server[1] == 443 else "ws"
                host = fields.get("host") or _authority(c.server)
                c.url = redact_url(f"{scheme}://{host}{target}")
        n = len(self.conn_urls) + 1
        c.conn = c.label or f"ws{n}"
        self.conn_urls.setdefault(c.conn, c.url)
        c.phase = "response"
        c.early_client = bytes(buf[end + 4:])
        buf.clear()

    def _response(self, c: _Connection, data: bytes, t: float) -> None:
        buf = c.head[c.server]
        buf += data
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HTTP_HEAD:
                self._note(f"connection {c.conn}: the server's answer to the upgrade is not HTTP; not followed")
                self._ignore(c)
            return
        line, fields = _headers(bytes(buf[:end]))
        rest = bytes(buf[end + 4:])
        buf.clear()
        parts = line.split(" ", 2)
        status = _number(parts[1]) if len(parts) > 1 else 0
        if status == 101:
            c.phase = "ws"
            self._emit(StateChanged(c.conn, t, State.OPEN, message=c.url))
            early, c.early_client = c.early_client, b""
            if early:
                self._frames(c, OUT, early, t)
            if rest:
                self._frames(c, IN, rest, t)
            return
        length = fields.get("content-length", "0")
        c.phase = "refused"
        c.refused = (status, _number(length), bytearray())
        c.refused_t = t
        self._refused_body(c, rest, t)

    def _refused_body(self, c: _Connection, data: bytes, t: float) -> None:
        assert c.refused is not None
        _status, length, body = c.refused
        body += data
        if len(body) >= length:
            self._refusal(c)

    def _refusal(self, c: _Connection) -> None:
        assert c.refused is not None
        status, _, body = c.refused
        c.refused = None
        code = None
        try:
            obj = json.loads(bytes(body))
            code = obj.get("code") if isinstance(obj, dict) and isinstance(obj.get("code"), str) else None
        except ValueError:
            pass
        self._emit(StateChanged(c.conn, c.refused_t, State.STOPPED, http_status=status, http_code=code,
                                message=http_line(status, code)))
        c.ended = True

    def _frames(self, c: _Connection, direction: str, data: bytes, t: float) -> None:
        parser = c.parsers[direction]
        if parser.done:
            return
        if direction == OUT:
            data = c.unmask.feed(data)
        for item in parser.feed(data):
            if isinstance(item, bytes):
                self._emit(FrameSeen(c.conn, t, direction, item))
            elif isinstance(item, TextMessage):
                self._emit(FrameSeen(c.conn, t, direction, item.data, text=True))
            elif isinstance(item, CloseReceived) and not c.ended:
                c.ended = True
                self._emit(StateChanged(c.conn, t, State.CLOSED, code=item.code, reason=item.reason,
                                        meaning=describe(item.code).meaning))
        if parser.failure is not None:
            who = "client" if direction == OUT else "server"
            self._note(f"connection {c.conn}: {parser.failure.reason.replace('server', who, 1)}; "
                       f"the rest of what the {who} sent is not decoded")

    def _end(self, c: _Connection, t: float) -> None:
        """The connection's TCP ended (FIN, RST, or its ports were used again)."""
        if c.refused is not None:
            self._refusal(c)
        if c.phase == "ws" and not c.ended:
            self._emit(StateChanged(c.conn, t, State.CLOSED, code=ABNORMAL, meaning=describe(ABNORMAL).meaning))
        c.ended = True

    def _ignore(self, c: _Connection) -> None:
        c.phase = "ignored"
        c.head.clear()
        self.ignored_connections += 1

    def _finish(self) -> None:
        for c in self._conns.values():
            if c.refused is not None:
                self._refusal(c)
            held = sum(d.held() for d in c.dirs.values())
            if held and c.phase not in ("ignored",):
                self._note(f"connection {c.conn or _authority(c.client)}: {held} bytes after a gap in the capture "
                           "(packets lost or cut) are not decoded")
        self._conns.clear()
        self._events.sort(key=lambda e: (e[0], e[1]))
        self.start = self._events[0][0] if self._events else 0.0
        first_url = next(iter(self.conn_urls.values()), "")
        self.header = make_header(profile="capture import", url=first_url, created=self.start, source="capture")

    # ------------------------------------------------------------ as a recording

    def events(self, decode: bool = True) -> Iterator[SessionEvent]:
        count = 0
        for _, _, ev in self._events:
            if decode and isinstance(ev, FrameSeen):
                frame = decode_received(ev.data, ev.text)
                ev = FrameSeen(ev.conn, ev.t, ev.direction, ev.data, frame, ev.text)
            count += 1
            yield ev
        self.count = count

    @property
    def warning(self) -> str | None:
        parts = [] if self.conn_urls else ["no WebSocket connections in this capture"]
        if self.truncated:
            parts.append(f"capture cut short, last one truncated ({self.torn_bytes} bytes cut)")
        if self.error_count:
            parts.append(f"{self.error_count} problem{'s' if self.error_count != 1 else ''} noted")
        return self._warning(parts)

    def __repr__(self) -> str:
        return f"CaptureRecording({self.name!r}, connections={len(self.conn_urls)})"


def _number(text: str) -> int:
    """A decimal HTTP number (status, Content-Length); 0 for anything else ("²" is a digit to isdigit)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else 0


def _authority(ep: Endpoint) -> str:
    host, port = ep
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def open_capture(path: str | os.PathLike[str]) -> CaptureRecording:
    """Read a pcapng or pcap file. RecordingError when it is not one, or is damaged at the start."""
    path = Path(path)
    rec = CaptureRecording(path)
    try:
        with open(path, "rb") as f:
            rec.read(CaptureReader(f, path.name))
    except OSError as exc:
        raise RecordingError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    except CaptureError as exc:
        if not rec.conn_urls and not rec._events:
            raise RecordingError(str(exc)) from None
        rec._note(str(exc))
        rec._finish()
    return rec
