"""A server that breaks WebSocket framing: ``tail`` says what it did and the client closes with the code.

The server is a raw TCP socket that performs a real opening handshake, then writes crafted bytes.
"""

from __future__ import annotations

import subprocess
import sys

from broken_server import INSIDE_FRAGMENTS, BrokenServer


def test_a_data_frame_inside_a_fragmented_message_is_shown_and_closed_with_1002():
    server = BrokenServer(INSIDE_FRAGMENTS)
    try:
        proc = subprocess.run([sys.executable, "-m", "inspector", "tail", server.url,
                               "--token", "violation-test-token", "--duration", "1"],
                              capture_output=True, text=True, encoding="utf-8", timeout=30)
    finally:
        server.stop()
    out = proc.stdout
    line = next((line for line in out.splitlines() if "fragmented" in line), "")
    assert line.endswith("closed 1002 — Protocol error — server sent a data frame inside a fragmented message"), \
        (out, proc.stderr)  # the code is said once
    assert " ← " not in out  # neither X nor ABCD was delivered
    assert server.codes and set(server.codes) == {1002}
