"""What a server case works with: connections to the target, raw HTTP requests, a publisher."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from inspector.conformance.harness_text import plain_reason
from inspector.conformance.probe import Probe, Target
from inspector.conformance.publish import Publisher
from inspector.conformance.traffic import CaseSkipped, HarnessError, Traffic
from inspector.protocol.events import State


@dataclass
class HttpAnswer:
    status: int
    headers: dict[str, list[str]]  # lower-case names
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class ServerCtx:
    def __init__(self, target: Target, traffic: Traffic, publisher: Publisher | None, scale: float, run_id: str):
        self.target, self.traffic, self.publisher, self.scale = target, traffic, publisher, scale
        self.run_id = run_id  # topics of this run start with it, so runs do not meet
        self._probes: list[Probe] = []
        self._n = 0

    def topic(self, name: str) -> str:
        return f"{self.run_id}.{name}"

    async def open(self, token: str | None = None, auth: str | None = None) -> Probe:
        self._n += 1
        probe = await Probe.open(self.target, self.traffic, f"c{self._n}", token, auth)
        self._probes.append(probe)
        return probe

    async def publish(self, topic: str, data: Any) -> None:
        if self.publisher is None:
            raise CaseSkipped("needs a way to publish")
        await self.publisher.publish(topic, data)

    async def cleanup(self) -> None:
        for probe in self._probes:
            # cleanup of a broken connection must not hide the outcome
            with contextlib.suppress(Exception):
                await probe.abort()
        self._probes.clear()

    async def http(self, *, token: str | None = None, upgrade: bool = True, path: str | None = None) -> HttpAnswer:
        """One raw HTTP/1.1 GET on the target (its path unless ``path``), the token in its usual place."""
        url, headers = self.target.dial(token if token is not None else "")
        parts = urlsplit(url)
        host, tls = parts.hostname or "", parts.scheme == "wss"
        port = parts.port or (443 if tls else 80)
        target_path = path or (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"GET {target_path} HTTP/1.1", f"Host: {parts.netloc.rsplit('@', 1)[-1]}"]
        lines += [f"{k}: {v}" for k, v in headers]
        if upgrade:
            key = base64.b64encode(os.urandom(16)).decode()
            lines += ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13",
                      f"Sec-WebSocket-Key: {key}"]
        else:
            lines.append("Connection: close")
        conn = f"h{self._n + 1}"
        self._n += 1
        self.traffic.state(conn, State.CONNECTING)
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(
                host, port, ssl=self.target.ssl if tls else None, server_hostname=host if tls else None), 10)
        except (TimeoutError, OSError) as exc:
            line = plain_reason(exc, host, port)
            self.traffic.state(conn, State.STOPPED, message=f"connect failed: {line}")
            raise HarnessError(f"cannot connect: {line}") from None
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            answer = await asyncio.wait_for(_read_answer(reader), 10)
        except (TimeoutError, OSError, ValueError, EOFError) as exc:
            raise HarnessError(f"no readable HTTP answer: {_why_unread(exc, host, port)}") from None
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        body = answer.json()
        code = body.get("code") if isinstance(body, dict) and isinstance(body.get("code"), str) else None
        self.traffic.state(conn, State.STOPPED if answer.status != 101 else State.OPEN, http_status=answer.status,
                           http_code=code, message=f"HTTP {answer.status}: {answer.body[:200]!r}")
        return answer


def _why_unread(exc: BaseException, host: str, port: int) -> str:
    if isinstance(exc, TimeoutError):
        return "nothing came within 10 s"
    if isinstance(exc, EOFError):
        return "the server closed the connection"
    return plain_reason(exc, host, port)


async def _read_answer(reader: asyncio.StreamReader) -> HttpAnswer:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    status = int(status_line.split()[1])
    headers: dict[str, list[str]] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    body = b""
    if status != 101:
        length = headers.get("content-length")
        if length:
            body = await reader.readexactly(int(length[0]))
        elif "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
            while True:
                size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    break
                body += await reader.readexactly(size)
                await reader.readline()
        else:
            body = await reader.read(1 << 20)
    return HttpAnswer(status, headers, body)


def new_run_id() -> str:
    return f"conform-{secrets.token_hex(3)}"
