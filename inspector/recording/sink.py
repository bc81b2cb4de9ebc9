"""The recording sink: a child process that turns batches of session events into record lines.

Why a process: formatting one record line (base64, two floats, JSON) costs about as
much as ingesting the frame did, and a thread would hold the event loop's GIL while
doing it. The app (``ProcessRecordingWriter``) hands over each batch as pickled
columns, far cheaper than formatting, and this process formats them in bulk
(frame_text.py), writes and reports on the other core.

Pipe protocol, parent → sink (stdin): messages of a 4-byte little-endian length and a
pickle of a list of parts:
  ("L", text)                              ready-made ASCII lines (header, events, end)
  ("F", table, conns, ts, outs, texts, datas)
                                           frames as columns (lists or arrays; a 1-tuple: the
                                           same value in every row); table maps the values of
                                           conns (ids, or indices) to JSON strings
  ("S", n)                                 sync: report "s n" once all before it is written
Sink → parent (stdout), one line each: "w BYTES RECORDS" after every write,
"s N" for a sync, "e MESSAGE" on an error (then it exits 1). EOF on stdin: fsync,
close, exit 0. Only the parent talks to it: the pickles are its own.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import IO, Any, Literal, TypeAlias

from inspector.recording.format import frame_line
from inspector.recording.frame_text import Column, frames_text

LENGTH = struct.Struct("<I")

# the parts of a message (see above); a frames part's table maps conns' values to JSON strings
LinesPart: TypeAlias = tuple[Literal["L"], str]
FramesPart: TypeAlias = tuple[Literal["F"], dict[Any, str], Column, Column, Column, Column, Sequence[bytes]]
SyncPart: TypeAlias = tuple[Literal["S"], int]
Part: TypeAlias = LinesPart | FramesPart | SyncPart


def _expand(column: Column) -> Iterable[Any]:
    """A column: a list, or a 1-tuple standing for that value in every row."""
    return repeat(column[0]) if type(column) is tuple else column


def _plain(column: Column) -> Column:
    """Python values of a column sent as an array (array.array or numpy: tolist), else as is."""
    return column.tolist() if hasattr(column, "tolist") else column


def format_parts(parts: Sequence[Part], start: float) -> tuple[bytes, int]:
    """The ASCII text of one batch and its number of records."""
    out: list[bytes] = []
    records = 0
    for part in parts:
        if part[0] == "L":
            out.append(part[1].encode("ascii"))
            records += part[1].count("\n")
        elif part[0] == "F":
            _, table, conns, ts, outs, texts, datas = part
            conns, outs, texts = _plain(conns), _plain(outs), _plain(texts)
            conns = (table[conns[0]],) if type(conns) is tuple else list(map(table.__getitem__, conns))
            text = frames_text(start, ts, datas, conns, outs, texts)
            if text is None:  # odd times: the general way
                text = "".join(map(frame_line, _plain(ts), repeat(start), _expand(conns), _expand(outs),
                                   _expand(texts), datas)).encode("ascii")
            out.append(text)
            records += len(ts)
    return b"".join(out), records


def _read_exactly(stream: IO[bytes], n: int) -> bytes | None:
    chunks: list[bytes] = []
    left = n
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def run(path: str, start: float, stdin: IO[bytes] | None = None, stdout: IO[str] | None = None) -> int:
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout

    def report(line: str) -> None:
        stdout.write(line + "\n")
        stdout.flush()

    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    except OSError as exc:
        report(f"e cannot open recording {path}: {exc.strerror or exc}")
        return 1
    written = records = 0
    try:
        while True:
            head = _read_exactly(stdin, LENGTH.size)
            if head is None:
                break
            body = _read_exactly(stdin, LENGTH.unpack(head)[0])
            if body is None:
                break  # the app died mid-message: keep what came whole
            parts: list[Part] = pickle.loads(body)
            text, n = format_parts(parts, start)
            if text:
                view = memoryview(text)
                while view:  # a write may be partial
                    view = view[os.write(fd, view):]
                written += len(text)
                records += n
                report(f"w {written} {records}")
            for part in parts:
                if part[0] == "S":
                    report(f"s {part[1]}")
        os.fsync(fd)
    except OSError as exc:
        report(f"e cannot write recording {path}: {exc.strerror or exc}")
        return 1
    finally:
        os.close(fd)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: --recording-sink PATH START_EPOCH (internal; started by the app)", file=sys.stderr)
        return 2
    try:
        return run(argv[0], float(argv[1]))
    except (BrokenPipeError, KeyboardInterrupt):
        return 1


if __name__ == "__main__":
    sys.exit(main())
