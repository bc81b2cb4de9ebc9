"""A text frame (never valid in this protocol) in ``tail --json`` and ``replay --json``: its text
as a string field beside the exact bytes, as the plain output shows it."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

from broken_server import BrokenServer

TEXT = "hello \u2603"
DATA = TEXT.encode()
TEXT_FRAME = b"\x81" + bytes([len(DATA)]) + DATA  # FIN + text opcode, unmasked (server to client)
CLI = [sys.executable, "-m", "inspector"]


def _text_lines(stdout: str) -> list[dict]:
    objs = [json.loads(line) for line in stdout.splitlines()]
    return [o for o in objs if o["event"] == "frame" and o["kind"] == "TEXT"]


def test_tail_and_replay_json_carry_a_text_frames_text(tmp_path):
    path = tmp_path / "text.rirec"
    server = BrokenServer(TEXT_FRAME)
    try:
        tail = subprocess.run([*CLI, "tail", server.url, "--token", "text-frame-token", "--json",
                               "--record", str(path), "--count", "1", "--duration", "5"],
                              capture_output=True, text=True, encoding="ascii", timeout=30)
    finally:
        server.stop()
    live = _text_lines(tail.stdout)
    assert live, (tail.stdout, tail.stderr)
    assert live[0]["text"] is True and live[0]["text_value"] == TEXT
    assert base64.b64decode(live[0]["raw_b64"]) == DATA
    plain = subprocess.run([*CLI, "replay", str(path)], capture_output=True, text=True, encoding="utf-8",
                           timeout=30)
    assert TEXT in plain.stdout  # the plain output shows the text
    replay = subprocess.run([*CLI, "replay", str(path), "--json"], capture_output=True, text=True,
                            encoding="ascii", timeout=30)
    replayed = _text_lines(replay.stdout)
    assert [o["text_value"] for o in replayed] == [TEXT]
    assert {k: v for k, v in replayed[0].items() if k != "t"} == {k: v for k, v in live[0].items() if k != "t"}
