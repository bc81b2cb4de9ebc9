"""A flood server process for bench_flood.py: prints its URL, then obeys stdin.

    flood SHAPE N   send N EVENT frames of SHAPE to every connection subscribed so far
    quit            stop

It speaks just enough of the protocol for a client to subscribe (the WebSocket
handshake, a presence sync per SUBSCRIBE, a PONG per PING, the close handshake)
and writes floods as websocket frames built once, in large chunks cut at frame
boundaries, so the sender is never what limits the receiver. It is written from
the spec, not from the project's mock: another server's bytes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
import sys
import time
from collections.abc import Callable

TOPIC = "bench.flood"
CHUNK = 1 << 20
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TS = int(time.time() * 1000)


def _compact(seq: int) -> bytes:
    """The codec's own layout: compact, keys in the order it writes them."""
    from inspector.protocol.frames import Event, encode
    return encode(Event(TOPIC, "message", _TS, {"i": seq, "price": seq % 997 + 0.25}, seq))


def _dumps(seq: int) -> bytes:
    """``json.dumps`` defaults, type before topic: spaced and ordered as a server other than ours may write."""
    body = {"type": "message", "topic": TOPIC, "seq": seq, "ts": _TS, "data": {"i": seq, "price": seq % 997 + 0.25}}
    return b"\x10" + json.dumps(body).encode()


_ITEMS = [{"sku": f"sku-{k:04d}", "name": f"item n\u00b0{k}", "qty": k % 7 + 1, "price": 3.5 * k,
           "tags": ["a", "b/c"]} for k in range(9)]


def _large(seq: int) -> bytes:
    """Compact, with about 1 KB of nested ``data``."""
    body = {"topic": TOPIC, "type": "message", "seq": seq, "ts": _TS,
            "data": {"order": f"o-{seq}", "items": _ITEMS, "note": "x" * 80}}
    return b"\x10" + json.dumps(body, separators=(",", ":")).encode()


def _presence(n: int) -> Callable[[int], bytes]:
    """Three presence events (join, leave, join) to every message; message seqs stay contiguous."""
    def build(i: int) -> bytes:
        if i % 4 == 3:
            seq = i // 4 + 1
            body = {"topic": TOPIC, "type": "message", "seq": seq, "ts": _TS, "data": {"i": seq}}
        else:
            member = f"c-{i % 5000:04x}"
            action = "leave" if i % 4 == 1 else "join"
            body = {"topic": TOPIC, "type": "presence", "ts": _TS,
                    "data": {"action": action, "member": member, "members": 100 + i % 50}}
        return b"\x10" + json.dumps(body, separators=(",", ":")).encode()
    return build


def _dumps_event(data: object, key_order: str = "type,topic,seq,ts,data", **options: object) -> Callable[[int], bytes]:
    """``json.dumps`` (its defaults unless ``options`` say otherwise) of an event carrying ``data``,
    its keys in ``key_order``: as a server in another language may write it."""
    keys = key_order.split(",")

    def build(seq: int) -> bytes:
        values = {"topic": TOPIC, "type": "message", "seq": seq, "ts": _TS, "data": data}
        return b"\x10" + json.dumps({k: values[k] for k in keys}, **options).encode()  # type: ignore[arg-type]
    return build


def _deep(depth: int) -> object:
    """``depth`` levels of objects and lists, a few scalars at each level."""
    node: object = {"leaf": True, "v": 1.5}
    for k in range(depth):
        node = {"level": k, "child": [node, k]} if k % 2 else {"level": k, "next": node}
    return node


_NESTED22 = [{"id": 1000 + k, "px": round(101.25 + k * 0.37, 2), "qty": k * 3 + 1, "side": "buy" if k % 2 else "sell"}
             for k in range(22)]  # ~1 KB: another server's list of 22 small objects
_MANY_KEYS = {f"k{k:03d}": k % 10 for k in range(200)}
_LONG_STRINGS = {"text": "lorem ipsum dolor sit amet " * 40, "path": "/var/log/" + "segment/" * 60}
_ESCAPES = {"name": "Zoë Ångström — naïve café ☕", "quote": 'he said "hi"\tthen\nleft', "path": "a/b/c/d",
            "cjk": "東京都 大阪 名古屋", "emoji": "🎉🚀"}  # \u escapes under ensure_ascii, a surrogate pair


def _sized(size: int) -> object:
    """Nested data of about ``size`` bytes once dumped: records of a few fields each."""
    rows = max(1, size // 84)
    return {"rows": [{"id": k, "name": f"row-{k:05d}", "ok": k % 3 == 0, "score": k * 0.125,
                      "tags": ["t1", "t2"]} for k in range(rows)], "count": rows}


_BUILDERS: dict[str, Callable[[], Callable[[int], bytes]]] = {
    "deep": lambda: _dumps_event(_deep(48)),
    "manykeys": lambda: _dumps_event(_MANY_KEYS, "seq,ts,topic,type,data"),
    "longstr": lambda: _dumps_event(_LONG_STRINGS, "data,type,seq,topic,ts", separators=(",", ":")),
    "escapes": lambda: _dumps_event(_ESCAPES, "topic,data,ts,seq,type"),
    "nested1k": lambda: _dumps_event(_NESTED22, "seq,data,topic,ts,type", separators=(",", ":")),
    "body8k": lambda: _dumps_event(_sized(8 * 1024), "ts,type,topic,seq,data"),
    "body60k": lambda: _dumps_event(_sized(60 * 1024), "topic,seq,type,ts,data", indent=None),
}


def body_of(shape: str, n: int) -> Callable[[int], bytes]:
    """The i-th message (1-based) of a flood of ``shape``."""
    if shape in ("compact", "four"):
        return _compact
    if shape == "dumps":
        return _dumps
    if shape == "large":
        return _large
    if shape == "presence":
        return _presence(n)
    if shape in _BUILDERS:
        return _BUILDERS[shape]()
    raise ValueError(f"unknown shape {shape!r}")


def frame(payload: bytes, opcode: int = 0x2) -> bytes:
    """One unmasked (server to client) websocket frame."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return head + payload


def prebuilt(shape: str, n: int) -> list[bytes]:
    """The flood as chunks of whole frames."""
    build = body_of(shape, n)
    chunks, part, size = [], [], 0
    for i in range(1, n + 1):
        f = frame(build(i))
        part.append(f)
        size += len(f)
        if size >= CHUNK:
            chunks.append(b"".join(part))
            part, size = [], 0
    if part:
        chunks.append(b"".join(part))
    return chunks


class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.subscribed = False
        self.member = f"c-{id(self) & 0xFFFF:04x}"

    async def handshake(self) -> bool:
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)}
        key = headers.get("sec-websocket-key")
        if not key or "websocket" not in headers.get("upgrade", "").lower() or (
                "authorization" not in headers and "token=" not in lines[0]):
            body = b'{"error":"unauthorized","code":"missing_token","status":401}'
            self.writer.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                              b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
            return False
        accept = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()
        self.writer.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        return True

    async def read_frame(self) -> tuple[int, bytes]:
        b0, b1 = await self.reader.readexactly(2)
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", await self.reader.readexactly(8))
        mask = await self.reader.readexactly(4) if b1 & 0x80 else b""
        data = await self.reader.readexactly(n)
        if mask:
            data = bytes(b ^ mask[i & 3] for i, b in enumerate(data))
        return b0 & 0x0F, data

    async def serve(self) -> None:
        while True:
            opcode, data = await self.read_frame()
            if opcode == 0x8:  # close: echo it and end
                self.writer.write(frame(data[:2], 0x8))
                await self.writer.drain()
                return
            if opcode == 0x9:
                self.writer.write(frame(data, 0xA))
            elif opcode == 0x2 and data[:1] == b"\x01":
                topic = json.loads(data[1:]).get("topic")
                sync = {"topic": topic, "type": "presence", "ts": int(time.time() * 1000),
                        "data": {"action": "sync", "members": [self.member]}}
                self.writer.write(frame(b"\x10" + json.dumps(sync).encode()))
                self.subscribed = self.subscribed or topic == TOPIC
            elif opcode == 0x2 and data[:1] == b"\x20":
                self.writer.write(frame(b"\x21" + data[1:]))

    async def flood(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            self.writer.write(chunk)
            await self.writer.drain()


async def main() -> int:
    conns: list[Conn] = []
    built: dict[tuple[str, int], list[bytes]] = {}
    floods: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Conn(reader, writer)
        try:
            if await conn.handshake():
                conns.append(conn)
                await conn.serve()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if conn in conns:
                conns.remove(conn)
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"ws://127.0.0.1:{port}/api/v2/realtime", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        parts = line.split()
        if not parts or parts[0] == "quit":
            break
        if parts[0] == "build" and len(parts) == 3:  # ahead of a flood, so building is not timed
            key = (parts[1], int(parts[2]))
            built[key] = built.get(key) or prebuilt(*key)
            print("built", flush=True)
        elif parts[0] == "flood" and len(parts) == 3:
            key = (parts[1], int(parts[2]))
            chunks = built[key] = built.get(key) or prebuilt(*key)
            for conn in [c for c in conns if c.subscribed]:
                task = loop.create_task(conn.flood(chunks))
                floods.add(task)
                task.add_done_callback(floods.discard)
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
