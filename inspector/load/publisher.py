"""Publishing during a load run: through the mock's control channel, or a command of the user's.

Each publish is measured as a PUBLISH request named by its topic: the control channel's
round trip (its reply comes once the mock has queued the event), or the command's run time.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from inspector.load.session import WS_LOG, LoadFailure, Record, opened, proxy_for
from inspector.protocol.control_publish import publish_refusal, publish_request
from inspector.protocol.urls import control_url, dial

PUBLISH = "PUBLISH"
COMMAND_TIMEOUT = 30.0


def payload(counter: int) -> dict[str, Any]:
    """The data of the ``counter``-th publish: varied enough for filters to pick some."""
    return {"n": counter, "total": (counter * 37) % 500, "sent_ms": time.time_ns() // 1_000_000}


class ControlPublisher:
    def __init__(self, url: str, token: str, auth: str, record: Record, open_timeout: float = 10.0):
        self.url, self.token, self.auth, self.record = control_url(url), token, auth, record
        self.open_timeout = open_timeout
        self.ws: ClientConnection | None = None

    def _open(self) -> ClientConnection:
        url, headers = dial(self.url, self.token, self.auth)
        return opened(connect(url, additional_headers=headers, compression=None, ping_interval=None,
                              open_timeout=self.open_timeout, close_timeout=2, proxy=proxy_for(url), logger=WS_LOG))

    def publish(self, topic: str, data: Any) -> None:
        started = time.monotonic()
        failure: LoadFailure | None = None
        size = 0
        try:
            if self.ws is None:
                self.ws = self._open()
            request = publish_request(topic, data)
            size = len(request)
            self.ws.send(request)
            refusal = publish_refusal(self.ws.recv(timeout=self.open_timeout))
            if refusal is not None:
                failure = LoadFailure(f"control channel refused the publish: {refusal}")
        except InvalidStatus as exc:
            failure = LoadFailure(f"control channel: HTTP {exc.response.status_code}")
        except ConnectionClosed as exc:
            self.ws = None
            failure = LoadFailure(f"control channel closed: {exc.rcvd.code if exc.rcvd else 1006}")
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            failure = LoadFailure(f"control channel: {exc.strerror if isinstance(exc, OSError) else exc}")
        self.record(PUBLISH, topic, (time.monotonic() - started) * 1000, size, failure)

    def close(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None:
            ws.close()


class CommandPublisher:
    """Runs the user's command per publish with RT_TOPIC and RT_DATA (JSON) in its environment."""

    def __init__(self, command: str, record: Record, run: Callable[..., Any] = subprocess.run):
        self.command, self.record, self._run = command, record, run

    def publish(self, topic: str, data: Any) -> None:
        env = dict(os.environ, RT_TOPIC=topic, RT_DATA=json.dumps(data, separators=(",", ":")))
        started = time.monotonic()
        failure: LoadFailure | None = None
        try:
            done = self._run(self.command, shell=True, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=COMMAND_TIMEOUT)
            if done.returncode != 0:
                last = (done.stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:]
                failure = LoadFailure(f"publish command exited {done.returncode}" + (f": {last[0]}" if last else ""))
        except subprocess.TimeoutExpired:
            failure = LoadFailure(f"publish command ran over {COMMAND_TIMEOUT:g} s")
        except OSError as exc:
            failure = LoadFailure(f"publish command: {exc.strerror or exc}")
        self.record(PUBLISH, topic, (time.monotonic() - started) * 1000, 0, failure)

    def close(self) -> None:
        pass
