"""One client↔upstream pair after the upgrade: two pumps that read frames from one side and
write them to the other, byte for byte, with the rules applied and each frame logged.

When one side's TCP ends, the other is ended the same way: gracefully after a close frame
went through (the peer sees that close), abruptly otherwise (the peer sees 1006), so each
side sees what it would have seen without the proxy.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from inspector.protocol.closecodes import GOING_AWAY, MESSAGE_TOO_BIG
from inspector.proxy.checks import SideChecker, Violation
from inspector.proxy.frame_log import PairLog
from inspector.proxy.rules import CloseOrder, Decision, PairRules, close_frames
from inspector.proxy.wire import FrameSplitter, FrameTooLarge, RawFrame, close_payload, encode

READ_SIZE = 256 * 1024


class Side:
    def __init__(self, name: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.name = name  # "client" or "server"
        self.reader = reader
        self.writer = writer
        self.sent_close = False  # a close frame from this side went through
        self.closed = False

    def send(self, data: bytes) -> None:
        if not self.closed:
            self.writer.write(data)

    def end(self, graceful: bool) -> None:
        if self.closed:
            return
        self.closed = True
        if graceful:
            self.writer.close()
        else:
            self.writer.transport.abort()


class Pair:
    """``run()`` forwards until both sides are done; ``close()`` ends it from outside."""

    def __init__(self, index: int, client: Side, server: Side, log: PairLog | None, rules: PairRules,
                 strict: bool, max_frame: int, on_frame: Callable[[bool, RawFrame], None] | None = None) -> None:
        self.index = index
        self.client = client
        self.server = server
        self.log = log
        self.rules = rules
        self.strict = strict
        self.max_frame = max_frame
        self.on_frame = on_frame
        self.opened = time.monotonic()
        self.frames = {True: 0, False: 0}
        self._tasks: list[asyncio.Task[None]] = []
        self._delayed: set[asyncio.TimerHandle] = set()

    async def run(self) -> None:
        c2s = asyncio.create_task(self._pump(True))
        s2c = asyncio.create_task(self._pump(False))
        self._tasks = [c2s, s2c]
        try:
            await asyncio.gather(c2s, s2c)
        finally:
            for task in self._tasks:
                task.cancel()
            for handle in self._delayed:
                handle.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self.client.end(False)
            self.server.end(False)

    def close(self, code: int | None = None, reason: str = "", abrupt: bool = False) -> None:
        """End the pair: close frames to both sides first unless ``abrupt``."""
        if not abrupt and code is not None:
            self.client.send(encode(RawFrame(0x8, close_payload(code, reason)), mask=False))
            self.server.send(encode(RawFrame(0x8, close_payload(code, reason)), mask=True))
        self.client.end(not abrupt)
        self.server.end(not abrupt)

    def inject(self, to_server: bool, frame: RawFrame) -> None:
        (self.server if to_server else self.client).send(encode(frame, mask=to_server))

    async def _pump(self, c2s: bool) -> None:
        src, dst = (self.client, self.server) if c2s else (self.server, self.client)
        splitter = FrameSplitter(self.max_frame)
        checker = SideChecker(client=c2s)
        try:
            while True:
                data = await src.reader.read(READ_SIZE)
                if not data:
                    break
                try:
                    frames = splitter.feed(data)
                except FrameTooLarge as exc:
                    self._log_note("violation", side=src.name, reason=str(exc))
                    self.close(MESSAGE_TOO_BIG, "frame too large for the proxy")
                    return
                if not self.rules.active and not self.strict and not c2s:
                    self._as_is(c2s, frames, splitter.last_raw, src, dst, checker)
                elif not await self._forward(c2s, frames, src, dst, checker):
                    return
                if self.log is not None:
                    self.log.flush()
                await dst.writer.drain()
        except (ConnectionError, OSError):
            pass
        # this side's stream ended: end the other the same way
        if splitter.pending:
            self._log_note("truncated", side=src.name, pending_bytes=splitter.pending)
        dst.end(graceful=src.sent_close and not splitter.pending)
        src.end(graceful=src.sent_close)

    def _seen(self, c2s: bool, frame: RawFrame, violation: Violation | None, decision: Decision | None) -> None:
        """Log and record a frame (after it went on: the log never delays forwarding)."""
        self.frames[c2s] += 1
        if self.log is not None:
            action = decision.rule.action.name if decision is not None and decision.rule is not None else None
            self.log.frame(c2s, frame, violation, action)
        if self.on_frame is not None:
            self.on_frame(c2s, frame)

    def _as_is(self, c2s: bool, frames: list[RawFrame], raw: bytes, src: Side, dst: Side, checker: SideChecker) -> None:
        """No rules, no strict: the bytes go on exactly as they came, then each frame is judged and logged."""
        dst.send(raw)
        for frame in frames:
            if frame.opcode == 0x8:
                src.sent_close = True
            self._seen(c2s, frame, checker.check(frame), None)

    async def _forward(self, c2s: bool, frames: list[RawFrame], src: Side, dst: Side, checker: SideChecker) -> bool:
        """Send on what ``frames`` make; False once the pair is ending."""
        out: list[bytes] = []
        seen: list[tuple[RawFrame, Violation | None, Decision | None]] = []

        def flush() -> None:
            dst.send(b"".join(out))
            out.clear()
            for item in seen:
                self._seen(c2s, *item)
            seen.clear()

        for frame in frames:
            violation = checker.check(frame)
            decision = self.rules.decide(c2s, frame, (time.monotonic() - self.opened) * 1000) if self.rules.active else None
            seen.append((frame, violation, decision))
            if violation is not None and self.strict:
                flush()
                src.send(encode(RawFrame(0x8, close_payload(violation.code, violation.reason[:120])), mask=not c2s))
                dst.send(encode(RawFrame(0x8, close_payload(GOING_AWAY, f"the {src.name} broke the protocol")),
                                mask=c2s))
                src.end(True)
                dst.end(True)
                return False
            if decision is None:
                out.append(encode(frame, frame.masked))
                if frame.opcode == 0x8:
                    src.sent_close = True
                continue
            flush()
            if not await self._decided(c2s, frame, decision, src, dst):
                return False
        flush()
        return True

    async def _decided(self, c2s: bool, frame: RawFrame, decision: Decision, src: Side, dst: Side) -> bool:
        if decision.close is not None:
            self._close_order(decision.close)
            return False
        if decision.delay and decision.reorder:
            handle = asyncio.get_running_loop().call_later(decision.delay, self._send_out, decision, src, dst)
            self._delayed.add(handle)
            return True
        if decision.delay:
            await asyncio.sleep(decision.delay)
        self._send_out(decision, src, dst)
        return not (src.closed or dst.closed)

    def _send_out(self, decision: Decision, src: Side, dst: Side) -> None:
        for target, f in decision.out:
            side = dst if target == "peer" else src
            side.send(encode(f, f.masked))
            if f.opcode == 0x8 and target == "peer":
                src.sent_close = True

    def _close_order(self, order: CloseOrder) -> None:
        if order.abrupt:
            self.client.end(False)
            self.server.end(False)
            return
        for name, f in close_frames(order):
            (self.client if name == "client" else self.server).send(encode(f, f.masked))
        self.client.end(True)
        self.server.end(True)

    def _log_note(self, event: str, **fields: Any) -> None:
        if self.log is not None:
            self.log.note(event, **fields)

