"""A server that breaks WebSocket framing: a raw TCP socket that performs a real opening
handshake, then writes crafted bytes, and notes the close code each client answers with."""

from __future__ import annotations

import base64
import hashlib
import socket
import threading

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# a binary message in fragments, with a complete binary frame inside it
INSIDE_FRAGMENTS = b"\x02\x02AB" + b"\x82\x01X" + b"\x80\x02CD"


def _read_head(conn: socket.socket) -> bytes:
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionError("client left during the handshake")
        head += chunk
    return head


def _close_code(conn: socket.socket) -> int | None:
    """The code of the client's (masked) close frame, if one comes."""
    data = b""
    while len(data) < 8:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    if data[0] != 0x88 or not data[1] & 0x80:
        return None
    mask = data[2:6]
    return ((data[6] ^ mask[0]) << 8) | (data[7] ^ mask[1])


class BrokenServer:
    """Accepts connections one at a time, answers 101, writes ``crafted``, records the close codes."""

    def __init__(self, crafted: bytes) -> None:
        self.crafted = crafted
        self.codes: list[int | None] = []
        self.stopping = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)  # to notice stop()
        self.port = self.sock.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}/api/v2/realtime"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    head = _read_head(conn)
                    key = next(line.split(b":", 1)[1].strip() for line in head.split(b"\r\n")
                               if line.lower().startswith(b"sec-websocket-key:"))
                    accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
                    conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                 b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n" + self.crafted)
                    self.codes.append(_close_code(conn))
                except (OSError, StopIteration):
                    continue

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(15)
        self.sock.close()
