"""Ways to make the server under test publish: the mock's control channel, or the user's command."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import ssl
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from inspector.conformance.traffic import HarnessError
from inspector.protocol.control_publish import publish_refusal, publish_request
from inspector.protocol.urls import dial
from inspector.redact import redacting_logger, scrub

_LOG = redacting_logger("inspector.conformance.publish")
COMMAND_TIMEOUT = 10.0


class Publisher:
    async def publish(self, topic: str, data: Any) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        pass


class ControlPublisher(Publisher):
    """``{"op":"publish"}`` on a mock's ``/mock/control`` channel (docs/protocol.md, "Mock server control channel")."""

    def __init__(self, url: str, token: str, tls: ssl.SSLContext | None = None):
        self.url, self._token, self._tls = url, token, tls
        self._ws: ClientConnection | None = None

    async def publish(self, topic: str, data: Any) -> None:
        if self._ws is None:
            try:
                self._ws = await connect(self.url, additional_headers=dial(self.url, self._token, "header")[1],
                                         ping_interval=None, compression=None, open_timeout=10,
                                         ssl=self._tls if self.url.startswith("wss:") else None, logger=_LOG,
                                         proxy=None)
            except Exception as exc:  # noqa: BLE001 - any failure to reach it is one line
                raise HarnessError(f"cannot open the control channel: {scrub(str(exc), self._token)}") from None
        await self._ws.send(publish_request(topic, data))
        refusal = publish_refusal(await asyncio.wait_for(self._ws.recv(), 10))
        if refusal is not None:
            raise HarnessError(f"the control channel refused to publish: {refusal}")

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None


class CommandPublisher(Publisher):
    """Runs the user's command with ``{topic}`` and ``{data}`` (shell-quoted) filled in, and the same
    values in REALTIME_TOPIC and REALTIME_DATA; exit status 0 means published."""

    def __init__(self, command: str):
        self.command = command

    async def publish(self, topic: str, data: Any) -> None:
        text = json.dumps(data, separators=(",", ":"))
        cmd = self.command.replace("{topic}", shlex.quote(topic)).replace("{data}", shlex.quote(text))
        env = {**os.environ, "REALTIME_TOPIC": topic, "REALTIME_DATA": text}
        proc = await asyncio.create_subprocess_shell(cmd, env=env, stdout=asyncio.subprocess.DEVNULL,
                                                     stderr=asyncio.subprocess.PIPE)
        try:
            _, err = await asyncio.wait_for(proc.communicate(), COMMAND_TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise HarnessError(f"--publish-command did not finish within {COMMAND_TIMEOUT:g} s") from None
        if proc.returncode != 0:
            last = scrub(err.decode("utf-8", "replace").strip().splitlines()[-1:][0] if err.strip() else "")
            raise HarnessError(f"--publish-command failed with exit status {proc.returncode}: {last}".rstrip(": "))
