"""``python -m inspector mock`` as a process: first line, signals, arguments."""

import asyncio
import os
import re
import signal
import subprocess
import sys

import pytest
from websockets.exceptions import InvalidStatus

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

LINE = re.compile(r"^listening on ws://127\.0\.0\.1:(\d+)/api/v2/realtime$")


def start(*args):
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector", "mock", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "0"},
    )
    first = proc.stdout.readline().rstrip("\n")
    match = LINE.match(first)
    assert match, (first, proc.stderr.read() if proc.poll() is not None else "")
    return proc, f"ws://127.0.0.1:{match.group(1)}/api/v2/realtime"


def finish(proc, sig):
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=10)
    return proc.returncode, out, err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_first_line_then_signal_closes_1001_and_exits_0(kit, sig):
    proc, url = start("--token", "cli-secret")
    try:
        async def go():
            async with kit.connect(url, token="cli-secret") as ws:
                await kit.subscribe(ws, "t")
                proc.send_signal(sig)
                return await kit.expect_close(ws, 10)
        code = kit.run(go())
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert code == (1001, "server restart")
    assert proc.returncode == 0
    assert "cli-secret" not in out + err


def test_scaled_timers_and_token_list_from_the_command_line(kit):
    proc, url = start("--token", "a1", "--token", "b2", "--ping-interval", "0.2", "--pong-timeout", "0.1",
                      "--idle-timeout", "5", "--max-connections-per-token", "1", "--max-subscriptions", "1")
    try:
        async def go():
            async with kit.connect(url, token="b2") as ws:
                await kit.subscribe(ws, "t")
                await ws.send(b'\x01{"id": 2, "topic": "u"}')
                limit = await kit.recv_json(ws, 0xFF)
                async with kit.connect(url, token="b2") as second:
                    second_code = await kit.expect_close(second)
                code = await kit.expect_close(ws, 5)  # nobody answers the 0.2 s pings
            return limit["code"], second_code, code
        limit, second, code = kit.run(go())
    finally:
        rc, _out, _err = finish(proc, signal.SIGTERM)
    assert limit == "subscription_limit"
    assert second == (1008, "connection limit")
    assert code == (1008, "pong timeout")
    assert rc == 0


def test_demo_flag_publishes_traffic(kit):
    proc, url = start("--demo")
    try:
        async def go():
            async with kit.connect(url) as ws:
                await kit.subscribe(ws, "ticker")
                return [await kit.recv_json(ws, timeout=3) for _ in range(5)]
        events = kit.run(go())
    finally:
        rc, _, _ = finish(proc, signal.SIGTERM)
    assert all(e["topic"] == "ticker" and e["type"] == "message" for e in events)
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert rc == 0


@pytest.mark.parametrize("args, message", [
    (["--token", ""], "--token"),
    (["--ping-interval", "0"], "--ping-interval"),
    (["--max-subscriptions", "0"], "--max-subscriptions"),
    (["--port", "70000"], "--port"),
    (["--allow-origin", "evil.test"], "--allow-origin: not an origin (scheme://host[:port]): 'evil.test'"),
    (["--allow-origin", "http://evil.test/page"], "--allow-origin"),
])
def test_bad_arguments_are_one_line_errors(args, message):
    proc = subprocess.run([sys.executable, "-m", "inspector", "mock", *args],
                          capture_output=True, text=True, timeout=20)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_port_in_use_is_a_one_line_error(kit):
    import socket
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "inspector", "mock", "--port", str(port)],
                              capture_output=True, text=True, timeout=20)
    assert proc.returncode == 2 and "cannot listen" in proc.stderr and "Traceback" not in proc.stderr


def test_replay_plays_a_recording_to_subscribers(kit, tmp_path):
    # record a short session from a live mock, then replay it through the CLI
    from inspector.mock.server import MockConfig, MockServer
    path = tmp_path / "session.rirec"
    proc = None

    async def record():
        async with MockServer(MockConfig()) as server:
            recorder = await asyncio.to_thread(  # the mock's loop keeps serving meanwhile
                subprocess.Popen,
                [sys.executable, "-m", "inspector", "tail", server.url, "--token", "rec", "--subscribe", "t",
                 "--record", str(path), "--count", "4"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            await kit.until(lambda: server.stats()["subscriptions"], "the recorder's subscription", 20)
            for i in range(3):
                server.publish("t", {"i": i})
            await asyncio.to_thread(recorder.communicate, timeout=20)
            return recorder.returncode
    assert kit.run(record()) == 0 and path.exists()
    try:
        proc, url = start("--replay", str(path), "--speed", "0")

        async def go():
            async with kit.connect(url) as ws:
                await kit.subscribe(ws, "t")
                return [(await kit.recv_json(ws, timeout=5))["data"] for _ in range(3)]
        datas = kit.run(go())
    finally:
        if proc is not None:
            finish(proc, signal.SIGTERM)
    assert datas == [{"i": 0}, {"i": 1}, {"i": 2}]


def test_allow_origin_from_the_command_line(kit):
    proc, url = start("--allow-origin", "http://evil.test:8000", "--allow-origin", "https://app.example")
    try:
        async def go():
            async with kit.connect(url, origin="http://evil.test:8000") as ws:
                await kit.subscribe(ws, "t")
            async with kit.connect(url, origin="https://app.example") as ws:
                await kit.subscribe(ws, "t")
            with pytest.raises(InvalidStatus) as info:
                async with kit.connect(url, origin="http://evil.test:8001"):
                    pass
            return info.value.response.status_code
        status = kit.run(go())
    finally:
        rc, _out, err = finish(proc, signal.SIGTERM)
    assert status == 403 and rc == 0
    # the refusal is one line on the terminal, naming the origin and the way to allow it
    assert "refused /api/v2/realtime from origin 'http://evil.test:8001'" in err
    assert "--allow-origin" in err and "Traceback" not in err


# ------------------------------------------------------------ --help


def option_entries(help_text: str) -> dict[str, str]:
    """``--option`` -> its help text, read from argparse's formatted ``options:`` section."""
    entries: dict[str, str] = {}
    current = None
    section = help_text.split("\noptions:\n", 1)[1].split("\n\n", 1)[0]
    for line in section.splitlines():
        stripped = line.strip()
        if line.startswith("  -"):
            names, _, text = stripped.partition("  ")
            current = next(n.rstrip(",") for n in names.split() if n.startswith("--"))
            entries[current] = text.strip()
        elif current is not None:
            entries[current] = (entries[current] + " " + stripped).strip()
    return entries


def mock_help() -> str:
    proc = subprocess.run([sys.executable, "-m", "inspector", "mock", "--help"], capture_output=True, text=True,
                          timeout=20, env={**os.environ, "COLUMNS": "100"})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_every_mock_option_has_help_text():
    entries = option_entries(mock_help())
    assert {"--host", "--port", "--token", "--allow-origin", "--ping-interval", "--demo"} <= set(entries)
    assert [name for name, text in entries.items() if not text] == []


@pytest.mark.parametrize("option, unit, default", [
    ("--ping-interval", "seconds", "30.0"),
    ("--pong-timeout", "seconds", "10.0"),
    ("--max-missed-pongs", "pongs", "3"),
    ("--idle-timeout", "seconds", "60.0"),
    ("--max-connections-per-token", "connections", "8"),
    ("--max-subscriptions", "subscriptions", "64"),
])
def test_timer_and_limit_options_say_their_unit_and_default(option, unit, default):
    text = option_entries(mock_help())[option]
    assert unit in text and f"(default: {default})" in text, text
