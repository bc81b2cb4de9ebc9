"""A server that breaks WebSocket framing: ``tail`` says what it did and the client closes with the code.

The server is a raw TCP socket that performs a real opening handshake, then writes crafted bytes.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import subprocess
import sys
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
    assert data[0] == 0x88 and data[1] & 0x80, data
    mask = data[2:6]
    return ((data[6] ^ mask[0]) << 8) | (data[7] ^ mask[1])


class BrokenServer:
    """Accepts connections, answers 101, writes ``crafted``, records the close code each client sends."""

    def __init__(self, crafted: bytes) -> None:
        self.crafted = crafted
        self.codes: list[int | None] = []
        self.stopping = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)  # to notice stop()
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(10)
                head = _read_head(conn)
                key = next(line.split(b":", 1)[1].strip() for line in head.split(b"\r\n")
                           if line.lower().startswith(b"sec-websocket-key:"))
                accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
                conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n" + self.crafted)
                self.codes.append(_close_code(conn))

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(15)
        self.sock.close()


def test_a_data_frame_inside_a_fragmented_message_is_shown_and_closed_with_1002():
    server = BrokenServer(INSIDE_FRAGMENTS)
    try:
        proc = subprocess.run([sys.executable, "-m", "inspector", "tail", f"ws://127.0.0.1:{server.port}/api/v2/realtime",
                               "--token", "violation-test-token", "--duration", "1"],
                              capture_output=True, text=True, encoding="utf-8", timeout=30)
    finally:
        server.stop()
    out = proc.stdout
    line = next((line for line in out.splitlines() if "fragmented" in line), "")
    assert line.endswith("closed 1002 — Protocol error — server sent a data frame inside a fragmented message"), \
        (out, proc.stderr)  # the code is said once
    assert " ← " not in out  # neither X nor ABCD was delivered
    assert server.codes and set(server.codes) == {1002}
