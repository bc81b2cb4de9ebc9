"""The log's lines for what tail never sees: fragments, WebSocket control frames, violations."""

from __future__ import annotations

import json

from inspector.proxy.checks import Violation
from inspector.proxy.frame_log import FrameLog
from inspector.proxy.wire import RawFrame


def test_fragments_are_lines_and_the_last_carries_the_whole_message() -> None:
    lines: list[str] = []
    log = FrameLog("3", "127.0.0.1:5000", "up:80", True, lines.append)
    log.frame(False, RawFrame(0x2, b'\x10{"topic":"a.b","type":"message",', fin=False))
    log.frame(False, RawFrame(0x9, b"hi"))
    log.frame(False, RawFrame(0x0, b'"ts":1,"data":2}'))
    log.frame(True, RawFrame(0x8, b"\x03\xe8bye", masked=True), Violation(1002, "client did a thing"), "pass")
    first, ping, last, close = (json.loads(line) for line in lines)
    assert (first["kind"], first["fin"], first["direction"]) == ("FRAGMENT", False, "s2c")
    assert (ping["kind"], ping["opcode"]) == ("WS_PING", 0x9)
    assert (last["kind"], last["topic"], last["fragments"], last["body"]["data"]) == ("EVENT", "a.b", 2, 2)
    assert (close["close_code"], close["close_reason"], close["action"]) == (1000, "bye", "pass")
    assert close["violation"] == {"code": 1002, "reason": "client did a thing"}
    assert {r["conn"] for r in (first, ping, last, close)} == {"3"}


def test_human_lines_have_arrows() -> None:
    lines: list[str] = []
    log = FrameLog("1", "c:1", "up:80", False, lines.append)
    log.frame(True, RawFrame(0x2, b"\x20ab", masked=True))
    log.frame(False, RawFrame(0x8, b"\x03\xf3boom"), Violation(1002, "server sent x"))
    assert lines[0].startswith("#1 client → server PING")
    assert lines[1] == "#1 server → client WS_CLOSE code 1011 'boom' !! server sent x (receiver would close with 1002)"
