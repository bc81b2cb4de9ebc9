"""``/mock/control``: JSON text requests, one reply each (docs/protocol.md, "Mock server control channel").

Requests are handled one at a time per control connection; a publish replies only once
no subscriber of the topic is backlogged past its high-water mark, so a client flooding
publishes through this channel is slowed to what the subscribers can take.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import TYPE_CHECKING, Any

from websockets.exceptions import ConnectionClosed
from websockets.frames import Close

if TYPE_CHECKING:
    from websockets.asyncio.server import ServerConnection

    from inspector.mock.hub import ControlTarget

log = logging.getLogger("inspector.mock")

MAX_REASON_BYTES = 123
DRAIN_WAIT = 2.0  # seconds a publish reply waits for backlogged subscribers


class ControlError(ValueError):
    pass


async def serve_control(server: ControlTarget, ws: ServerConnection) -> None:
    try:
        async for message in ws:
            try:
                reply = await handle_request(server, message)
            except ControlError as exc:
                reply = {"ok": False, "error": str(exc)}
            except Exception as exc:
                log.exception("control request failed")
                reply = {"ok": False, "error": f"internal error: {type(exc).__name__}"}
            await ws.send(json.dumps(reply, separators=(",", ":"), ensure_ascii=False))
    except ConnectionClosed:
        pass


async def handle_request(server: ControlTarget, message: str | bytes) -> dict[str, Any]:
    if not isinstance(message, str):
        raise ControlError("control requests are JSON text frames, not binary")
    try:
        req = json.loads(message)
    except (ValueError, RecursionError) as exc:
        raise ControlError(f"request is not JSON: {exc}") from None
    if not isinstance(req, dict):
        raise ControlError("request must be a JSON object")
    op = req.get("op")
    if op == "publish":
        return await _publish(server, req)
    if op == "stats":
        return {"ok": True, **server.stats()}
    if op == "close":
        code, reason = _close_args(req)
        return {"ok": True, "closed": await server.close_all(code, reason)}
    if op is None:
        raise ControlError("request has no 'op' (publish, stats or close)")
    raise ControlError(f"unknown op {str(op)[:40]!r} (publish, stats or close)")


async def _publish(server: ControlTarget, req: dict[str, Any]) -> dict[str, Any]:
    topic = req.get("topic")
    if not isinstance(topic, str):
        raise ControlError("publish needs a string 'topic'")
    if "data" not in req:
        raise ControlError("publish needs 'data'")
    try:
        delivered, seq = server.publish(topic, req["data"])
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    # Backpressure for flooding publishers, bounded so a stuck subscriber cannot stall the channel.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(server.wait_drained(topic), DRAIN_WAIT)
    return {"ok": True, "delivered": delivered, "seq": seq}


def _close_args(req: dict[str, Any]) -> tuple[int, str]:
    code: Any = req.get("code")
    reason: Any = req.get("reason", "")
    if not isinstance(code, int) or isinstance(code, bool):
        raise ControlError("close needs an integer 'code'")
    if not isinstance(reason, str):
        raise ControlError("close 'reason' must be a string")
    if len(reason.encode("utf-8")) > MAX_REASON_BYTES:
        raise ControlError(f"close 'reason' is longer than {MAX_REASON_BYTES} bytes")
    try:
        Close(code, reason).check()
    except Exception:  # noqa: BLE001 - websockets' ProtocolError: code not allowed in a close frame
        raise ControlError(f"{code} is not a close code a server may send") from None
    return code, reason
