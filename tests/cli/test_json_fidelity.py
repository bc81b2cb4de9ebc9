"""``tail --json --record`` against the real mock, then ``replay --json``: the same lines apart from times."""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
import sys
import time

TOKEN = "json-fidelity-token-5d2c"
CLI = [sys.executable, "-m", "inspector"]
TIMING = ("t",)


class Lines:
    """stdout of a running process, read line by line up to a needle."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.lines: list[str] = []

    def until(self, needle: str, start: int = 0, timeout: float = 30) -> None:
        """Return once a line from index ``start`` on (read before or now) contains ``needle``."""
        if any(needle in line for line in self.lines[start:]):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line.rstrip("\n"))
            if needle in line:
                return
        err = self.proc.stderr.read() if self.proc.poll() is not None else ""
        raise AssertionError(f"no {needle!r} in {self.lines[-20:]}: {err}")


def untimed(line: str) -> dict:
    obj = json.loads(line)
    for key in TIMING:
        obj.pop(key, None)
    return obj


def test_tail_and_replay_of_its_recording_print_the_same_lines(mock_server, tmp_path):
    # server PINGs every 0.1 s (server_ping), 2 subscriptions at most (an ERROR), our PINGs (rtt)
    srv = mock_server(ping_interval=0.1, pong_timeout=5, max_subscriptions=2)
    path = tmp_path / "session.rirec"
    tail = subprocess.Popen(
        [*CLI, "tail", srv.url, "--token", TOKEN, "--json", "--record", str(path), "--ping-every", "0.1",
         "--subscribe", "odd", "--subscribe", "orders.eu=data.total > `100`", "--subscribe", "third"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, encoding="ascii")
    out = Lines(tail)
    try:
        out.until('"topic":"third","state":"failed"')
        out.until('"topic":"orders.eu","state":"active"')
        out.until('"event":"rtt"')
        out.until('"event":"server_ping"')
        for value in ["\u2028 line sep", "\x85 NEL", "emoji \U0001F600", "nul \x00", 1.5, [1, {"b": 2, "a": 1}]]:
            srv.call(srv.server.publish, "odd", {"v": value})
        srv.call(srv.server.publish, "orders.eu", {"total": 5})    # filtered out
        srv.call(srv.server.publish, "orders.eu", {"total": 250})
        # an EVENT laid out as another server would: other key order, a field we do not know
        srv.call(srv.server.deliver_event, {"data": {"v": "foreign"}, "type": "message", "seq": 77, "topic": "odd",
                                            "ts": 1764300000123, "region": "eu-west"})
        out.until('foreign')
        restart = len(out.lines)
        srv.call(srv.server.close_all, 1001, "server restart")
        out.until('"code":1001', restart)
        out.until('"topic":"odd","state":"active"', restart)
        srv.call(srv.server.publish, "odd", {"v": "last one"})
        out.until("last one")
        tail.send_signal(signal.SIGINT)
        # read() and not communicate(): readline() may hold lines in the stream's buffer
        rest, err = tail.stdout.read(), tail.stderr.read()
        tail.wait(20)
    finally:
        if tail.poll() is None:
            tail.kill()
            tail.wait()
        tail.stdout.close()
        tail.stderr.close()
    assert tail.returncode == 0, err
    printed = out.lines + rest.splitlines()

    replay = subprocess.run([*CLI, "replay", str(path), "--json"], capture_output=True, text=True, timeout=30)
    assert replay.returncode == 0 and replay.stderr == ""
    replayed = replay.stdout.splitlines()

    assert len(replayed) == len(printed)
    for n, (a, b) in enumerate(zip(printed, replayed, strict=True)):
        assert untimed(a) == untimed(b), f"line {n + 1}:\n tail:   {a}\n replay: {b}"
    # the comparison covered what a session shows, not only frames
    objs = [json.loads(line) for line in printed]
    assert {o["event"] for o in objs} >= {"frame", "state", "subscription", "rtt", "server_ping"}
    assert {o["kind"] for o in objs if o["event"] == "frame"} >= {"SUBSCRIBE", "EVENT", "PING", "PONG", "ERROR"}
    assert {o.get("code") for o in objs if o["event"] == "state" and o["state"] == "closed"} >= {1001, 1000}
    foreign = next(o for o in objs if o.get("seq") == 77)
    assert list(foreign["body"]) == ["data", "type", "seq", "topic", "ts", "region"]
    assert json.loads(base64.b64decode(foreign["raw_b64"])[1:]) == foreign["body"]
    assert all(set(untimed(line)) | {"t"} == set(json.loads(line)) for line in printed)
    assert TOKEN not in "\n".join(printed) + replay.stdout


def test_tail_help_names_every_field_of_a_frame_line():
    from inspector.protocol.events import IN, FrameSeen
    from inspector.protocol.frames import Error, Event, encode
    from inspector.protocol.json_output import json_record
    help_text = subprocess.run([*CLI, "tail", "--help"], capture_output=True, text=True, timeout=30).stdout
    keys = set()
    for data, text in [(encode(Event("a", "message", 1, {}, 1)), False), (encode(Error("x", "y")), False),
                       (b"\x7a", False), (b"hi", True)]:
        keys |= set(json_record(FrameSeen("c1", 0.0, IN, data, text=text)))
    missing = [key for key in sorted(keys) if not re.search(rf"\b{key}\b", help_text)]
    assert not missing, f"tail --help does not mention {missing}"
    assert "docs/json-output.md" in help_text
