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
from inspector.proxy.tcp_toxics import PairToxics, reset_connection
from inspector.proxy.timing import Timing
from inspector.proxy.toxics import Toxic
from inspector.proxy.wire import FrameSplitter, FrameTooLarge, RawFrame, close_payload, encode

READ_SIZE = 256 * 1024
_Judged = tuple[RawFrame, "Violation | None", "Decision | None"]


class Side:
    def __init__(self, name: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.name = name  # "client" or "server"
        self.reader = reader
        self.writer = writer
        self.sent_close = False  # a close frame from this side went through
        self.closed = False
        self.held: list[bytes] | None = None  # bytes kept for a bandwidth or slicer toxic to write
        self.timed = False  # note when each send happened (the proxy's timing, for the benchmark)
        self.sent_at = self.sent_cpu = 0.0  # perf_counter() and thread_time() of the last send

    def send(self, data: bytes) -> None:
        if self.closed or not data:
            return
        if self.held is not None:
            self.held.append(data)
        else:
            self.writer.write(data)
        if self.timed:
            self.sent_at, self.sent_cpu = time.perf_counter(), time.thread_time()

    def reset(self) -> None:
        if not self.closed:
            self.closed = True
            reset_connection(self.writer)

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
                 strict: bool, max_frame: int, on_frame: Callable[[bool, RawFrame], None] | None = None,
                 toxics: PairToxics | None = None, timing: Timing | None = None) -> None:
        self.index, self.client, self.server = index, client, server
        self.log, self.rules, self.toxics, self.on_frame = log, rules, toxics, on_frame
        self.strict, self.max_frame = strict, max_frame
        self.timing = timing
        client.timed = server.timed = timing is not None
        self.on_hold: Callable[[Pair, bool, RawFrame], object] | None = None  # a hold rule parked a frame
        address = client.writer.get_extra_info("peername")
        self.client_address = f"{address[0]}:{address[1]}" if isinstance(address, tuple) else str(address)
        self.opened = time.monotonic()
        self.frames = {True: 0, False: 0}
        self._tasks: list[asyncio.Task[None]] = []
        self._delayed: set[asyncio.TimerHandle] = set()

    async def run(self) -> None:
        c2s = asyncio.create_task(self._pump(True))
        s2c = asyncio.create_task(self._pump(False))
        self._tasks = [c2s, s2c]
        self.toxics_changed()
        try:
            await asyncio.gather(c2s, s2c)
        finally:
            if self.toxics is not None:
                self.toxics.cancel()
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

    def toxics_changed(self) -> None:
        """Start (or stop) the clocks of timed toxics."""
        if self.toxics is not None:
            self.toxics.arm(self._reset, lambda: self.close(abrupt=True))

    def _reset(self) -> None:
        self.client.reset()
        self.server.reset()

    def release(self, c2s: bool, frame: RawFrame) -> None:
        """A held frame (perhaps edited) goes on to its receiver now."""
        dst = self.server if c2s else self.client
        dst.send(encode(frame, frame.masked))
        if frame.opcode == 0x8:
            (self.client if c2s else self.server).sent_close = True

    def inject(self, to_server: bool, frame: RawFrame) -> None:
        (self.server if to_server else self.client).send(encode(frame, mask=to_server))

    async def _pump(self, c2s: bool) -> None:
        src, dst = (self.client, self.server) if c2s else (self.server, self.client)
        splitter = FrameSplitter(self.max_frame)
        checker = SideChecker(client=c2s)
        timing = self.timing
        started, started_cpu, before = 0.0, 0.0, 0
        try:
            while data := await src.reader.read(READ_SIZE):
                if timing is not None:
                    started, started_cpu, before = time.perf_counter(), time.thread_time(), self.frames[c2s]
                if not await self._batch(c2s, data, splitter, checker, src, dst):
                    return
                if timing is not None and dst.sent_at >= started:
                    timing.read(dst.sent_at - started, dst.sent_cpu - started_cpu, self.frames[c2s] - before)
                await dst.writer.drain()
        except (ConnectionError, OSError):
            pass
        # this side's stream ended: end the other the same way
        if self.toxics is not None:
            delay = PairToxics.close_delay(self.toxics.active(c2s))
            if delay:
                await asyncio.sleep(delay)
        if splitter.pending:
            self._log_note("truncated", side=src.name, pending_bytes=splitter.pending)
        dst.end(graceful=src.sent_close and not splitter.pending)
        src.end(graceful=src.sent_close)

    async def _batch(self, c2s: bool, data: bytes, splitter: FrameSplitter, checker: SideChecker, src: Side,
                     dst: Side) -> bool:
        """One read from ``src``, on its way; False once the pair is ending."""
        toxics = self.toxics.active(c2s) if self.toxics is not None else None
        end = False
        if toxics:
            data, end = await self._toxic_read(c2s, data, toxics, dst)
        try:
            frames = splitter.feed(data)
        except FrameTooLarge as exc:
            self._log_note("violation", side=src.name, reason=str(exc))
            self.close(MESSAGE_TOO_BIG, "frame too large for the proxy")
            return False
        if not await self._forward(c2s, frames, splitter.last_raw, src, dst, checker):
            return False
        if self.log is not None:
            self.log.flush()
            await self.log.caught_up()
        if toxics:
            await self._toxic_write(dst, toxics)
        if end:
            self.close(abrupt=True)
            return False
        return True

    async def _toxic_read(self, c2s: bool, data: bytes, toxics: list[Toxic], dst: Side) -> tuple[bytes, bool]:
        assert self.toxics is not None
        if PairToxics.shapes(toxics):
            dst.held = []
        return await self.toxics.before(c2s, data, toxics)

    async def _toxic_write(self, dst: Side, toxics: list[Toxic]) -> None:
        held, dst.held = dst.held, None
        if held and self.toxics is not None and not dst.closed:
            await self.toxics.write(dst.writer, b"".join(held), toxics)

    def _seen(self, c2s: bool, frame: RawFrame, violation: Violation | None, decision: Decision | None) -> None:
        """Log and record a frame (after it went on: the log never delays forwarding)."""
        self.frames[c2s] += 1
        if self.log is not None:
            action = decision.rule.action.name if decision is not None and decision.rule is not None else None
            self.log.frame(c2s, frame, violation, action)
        if self.on_frame is not None:
            self.on_frame(c2s, frame)

    def _judged(self, c2s: bool, frames: list[RawFrame], checker: SideChecker) -> list[_Judged]:
        """Each frame with its violation and the rules' decision (one clock reading per read)."""
        rules = self.rules
        if not rules.active:
            return [(frame, checker.check(frame), None) for frame in frames]
        elapsed = (time.monotonic() - self.opened) * 1000
        return [(frame, checker.check(frame), rules.decide(c2s, frame, elapsed)) for frame in frames]

    async def _forward(self, c2s: bool, frames: list[RawFrame], raw: bytes, src: Side, dst: Side,
                       checker: SideChecker) -> bool:
        """Send on what ``frames`` make; False once the pair is ending."""
        strict = self.strict
        if not c2s and not strict and not self.rules.active:
            dst.send(raw)  # nothing can decide: the server's bytes go on exactly as they came, before any look
            self._passed_on(c2s, [(frame, checker.check(frame), None) for frame in frames], src)
            return True
        judged = self._judged(c2s, frames, checker)
        if not c2s and not any(d is not None or (strict and v is not None) for _, v, d in judged):
            dst.send(raw)  # nothing decided: the server's bytes go on exactly as they came
            self._passed_on(c2s, judged, src)
            return True
        out: list[bytes] = []
        seen: list[_Judged] = []

        def flush() -> None:
            dst.send(b"".join(out))
            out.clear()
            for item in seen:
                self._seen(c2s, *item)
            seen.clear()

        for frame, violation, decision in judged:
            seen.append((frame, violation, decision))
            if violation is not None and strict:
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

    def _passed_on(self, c2s: bool, judged: list[_Judged], src: Side) -> None:
        """Frames whose bytes went on as they came: seen (logged, recorded), as ``_seen`` would."""
        log, on_frame = self.log, self.on_frame
        for frame, violation, _ in judged:
            if frame.opcode == 0x8:
                src.sent_close = True
            if log is not None:
                log.frame(c2s, frame, violation)
            if on_frame is not None:
                on_frame(c2s, frame)
        self.frames[c2s] += len(judged)

    async def _decided(self, c2s: bool, frame: RawFrame, decision: Decision, src: Side, dst: Side) -> bool:
        if decision.close is not None:
            self._close_order(decision.close)
            return False
        if decision.hold:
            if self.on_hold is not None:
                self.on_hold(self, c2s, frame)
            return True
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

