"""The log process of ``proxy``: reads the batches ``log_pipe`` writes on stdin and prints
each as lines (``--json`` or ``--text``) on stdout, which it shares with the proxy. Ends at EOF."""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable
from typing import Any, BinaryIO

from inspector.proxy.checks import Violation
from inspector.proxy.frame_log import FrameLog
from inspector.proxy.log_pipe import LENGTH
from inspector.proxy.wire import RawFrame


def _read(stream: BinaryIO, n: int) -> bytes | None:
    data = stream.read(n)
    return data if data is not None and len(data) == n else None


def _write(logs: dict[str, FrameLog], record: tuple[Any, ...], as_json: bool, lines: list[bytes],
           turns: Turns) -> None:
    kind, conn, client, upstream, t = record[:5]
    log = logs.get(conn)
    if log is None:
        log = logs[conn] = FrameLog(conn, client, upstream, as_json, _encoded(lines), lines.append)
    if kind == "p":  # whole binary frames one read brought (log_pipe.PipedLog)
        for start in range(6, len(record), YIELD_EVERY):
            stop = min(start + YIELD_EVERY, len(record))
            log.binary_frames(record[5], record, start, t, stop)
            turns.done(stop - start)
        return
    turns.done(1)
    if kind == "n":
        event, fields = record[5:]
        log.note(event, t, **fields)
        if event == "closed":
            del logs[conn]
        return
    c2s, opcode, payload, fin, rsv, masked, violation, action = record[5:]
    log.frame(c2s, RawFrame(opcode, payload, fin, rsv, masked), Violation(*violation) if violation else None,
              action, t)


def _encoded(lines: list[bytes]) -> Callable[[str], None]:
    """Each line made as text, as stdout's text layer would write it."""
    encoding, errors = sys.stdout.encoding, sys.stdout.errors or "strict"

    def emit(line: str) -> None:
        lines.append(line.encode(encoding, errors))
    return emit


NICENESS = 10  # below the proxy: when the CPUs are busy, forwarding goes first and the log catches up
YIELD_EVERY = 8  # frames the log makes between offers of the CPU to whoever waits for it


class Turns:
    """Offers the CPU (sched_yield) every ``YIELD_EVERY`` frames, so that the log never keeps
    the proxy (or its client and server on the same machine) waiting for more than a few
    frames' worth of its work. A lower priority alone does not: the scheduler lets a running
    process finish its time slice (a millisecond or more) before a woken one of higher
    priority runs. Yielding costs a system call when no one waits, and leaves the log its
    share of the CPU. (SCHED_IDLE would give it none while the CPUs are busy: in a flood the
    proxy, which waits for the log past a backlog, would go at the pace of a log that hardly
    runs.)"""

    def __init__(self) -> None:
        self._count = 0
        self._yield = getattr(os, "sched_yield", None)

    def done(self, frames: int) -> None:
        self._count += frames
        if self._count >= YIELD_EVERY and self._yield is not None:
            self._count = 0
            self._yield()


def main(argv: list[str]) -> int:
    as_json = "--json" in argv
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    turns = Turns()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    logs: dict[str, FrameLog] = {}
    lines: list[bytes] = []  # every pair's FrameLog appends here
    while (head := _read(stdin, LENGTH)) is not None:
        body = _read(stdin, int.from_bytes(head, "big"))
        if body is None:
            break
        for record in pickle.loads(body):
            _write(logs, record, as_json, lines, turns)
        if not lines:
            continue
        try:
            lines.append(b"")  # the last line's newline
            stdout.write(b"\n".join(lines))
            stdout.flush()
            lines.clear()
        except BrokenPipeError:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
