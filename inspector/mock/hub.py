"""What the control channel, the demo traffic and a replay use of the mock server, as Protocols.

control.py and demo.py depend on these, never on server.py, so the server imports them
without an import cycle (not even one under TYPE_CHECKING). ``MockServer`` satisfies both.
"""

from __future__ import annotations

from typing import Any, Protocol


class Publisher(Protocol):
    def publish(self, topic: str, data: Any) -> tuple[int, int]:
        """Publish ``data`` on ``topic``: (connections it was delivered to, its seq)."""
        ...


class DemoTarget(Publisher, Protocol):
    def add_member(self, topic: str) -> str:
        """Add a simulated member (no connection) to ``topic``; returns its member id."""
        ...

    def remove_member(self, topic: str, member: str) -> bool:
        """Remove a simulated member; False when it was not there."""
        ...


class ControlTarget(Publisher, Protocol):
    async def wait_drained(self, topic: str | None = None) -> None:
        """Wait until no subscriber (of ``topic``, or any) is backlogged past its high-water mark."""
        ...

    async def close_all(self, code: int, reason: str) -> int:
        """Close every realtime connection with ``code``/``reason``; how many."""
        ...

    def stats(self) -> dict[str, Any]:
        """Counts for the control channel's ``stats`` reply."""
        ...


class EventSink(Protocol):
    def deliver_event(self, body: dict[str, Any]) -> int:
        """Deliver a ready-made EVENT body as it is: to how many connections (ValueError: refused)."""
        ...
