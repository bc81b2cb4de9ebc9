"""A publish on the mock's control channel (docs/protocol.md): the request, and what its reply says.

Every publisher (``publish``, the conformance run, a load run) sends and reads these the
same way and keeps only its own I/O.
"""

from __future__ import annotations

import json
from typing import Any


def publish_request(topic: str, data: Any) -> str:
    """The JSON text of ``{"op":"publish"}`` for ``topic`` with ``data``."""
    return json.dumps({"op": "publish", "topic": topic, "data": data}, separators=(",", ":"))


def publish_refusal(reply: str | bytes) -> str | None:
    """None when ``reply`` says the event was published; otherwise why not, in one short line."""
    try:
        answer = json.loads(reply)
    except (ValueError, UnicodeDecodeError):
        return "the reply is not JSON"
    if not isinstance(answer, dict):
        return f"unexpected reply {str(answer)[:100]}"
    if answer.get("ok") is True:
        return None
    return str(answer.get("error") or "refused")[:200]
