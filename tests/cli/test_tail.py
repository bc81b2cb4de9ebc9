"""``realtime-inspector tail`` and ``publish`` as subprocesses against the real mock server."""

from __future__ import annotations

import base64
import json
import os
import signal

import pytest
from cli_proc import TOKEN, Proc, cli


def test_one_line_per_frame_and_event(mock_server):
    srv = mock_server()
    tail = Proc("tail", srv.url, "--token", TOKEN, "--subscribe", "orders.eu=data.total > `100`",
                "--subscribe", "ticker", "--count", "4")
    tail.until("subscription ")
    tail.until("subscription ")  # the two pending lines
    tail.until(" active")
    tail.until(" active")  # both subscriptions
    srv.call(srv.server.publish, "orders.eu", {"total": 5})
    srv.call(srv.server.publish, "orders.eu", {"total": 250})
    srv.call(srv.server.publish, "ticker", {"p": 1})
    rc, lines, err = tail.finish()
    assert rc == 0, err
    assert any(line.endswith("connecting to " + srv.url) for line in lines)
    events = [line for line in lines if " ← EVENT " in line]
    assert len(events) == 4  # two syncs, then the two messages that passed the filters
    order = next(line for line in events if "orders.eu" in line and "message" in line)
    assert "#2" in order and '{"total":250}' in order  # seq 2: counted before filtering
    assert any(" → SUBSCRIBE " in line and "filter 'data.total > `100`'" in line for line in lines)
    assert all(line[:12].count(":") == 2 and line[8] == "." for line in lines)  # HH:MM:SS.mmm
    assert "stopped on request" in lines[-1]


def test_json_lines(mock_server):
    srv = mock_server()
    tail = Proc("tail", srv.url, "--token", TOKEN, "--subscribe", "ticker", "--count", "2", "--json",
                "--auth", "query")
    tail.until('"state":"active"')
    srv.call(srv.server.publish, "ticker", {"p": 1.5})
    rc, lines, err = tail.finish()
    assert rc == 0, err
    objs = [json.loads(line) for line in lines]
    frames = [o for o in objs if o["event"] == "frame"]
    msg = next(o for o in frames if o.get("body", {}).get("type") == "message")
    assert msg["dir"] == "in" and msg["kind"] == "EVENT" and msg["seq"] == 1 and msg["topic"] == "ticker"
    raw = base64.b64decode(msg["raw_b64"])
    assert raw[0] == 0x10 and json.loads(raw[1:])["data"] == {"p": 1.5}
    assert [o["state"] for o in objs if o["event"] == "state"][:2] == ["connecting", "open"]
    assert msg["body"]["data"] == {"p": 1.5} and msg["size"] == len(raw)
    assert all(o["v"] == 1 and isinstance(o["t"], float) and o["conn"] == "c1" for o in objs)


@pytest.mark.parametrize("spec, needle", [
    ("orders=data.total >", "invalid filter at position 12"),
    ("orders=data.[", "invalid filter at position"),
    ("Orders", "invalid topic: character 'O' at position 0"),
    ("=x", "invalid topic: topic is empty"),
])
def test_invalid_subscribe_is_one_line_exit_2(spec, needle):
    proc = cli("tail", "ws://127.0.0.1:9/api/v2/realtime", "--token", TOKEN, "--subscribe", spec)
    assert proc.returncode == 2
    assert proc.stdout == "" and proc.stderr.count("\n") == 1 and needle in proc.stderr


def test_usage_errors():
    proc = cli("tail", "http://h/x", "--token", TOKEN)
    assert proc.returncode == 2 and "ws://" in proc.stderr
    proc = cli("tail", "ws://127.0.0.1:9/x")
    assert proc.returncode == 2 and "a token is needed" in proc.stderr


def test_exit_code_3_on_http_401(mock_server):
    srv = mock_server(tokens=frozenset({"other"}))
    proc = cli("tail", srv.url, "--token", TOKEN)
    assert proc.returncode == 3
    assert "HTTP 401 invalid_token" in proc.stderr and "stopped — server refused" in proc.stdout


def test_exit_code_4_on_1008(mock_server):
    srv = mock_server(idle_timeout=0.3)
    proc = cli("tail", srv.url, "--token", TOKEN)
    assert proc.returncode == 4
    assert "1008" in proc.stderr and "idle without subscription" in proc.stderr


def test_exit_code_5_when_the_token_cannot_be_had():
    env_var = "RT_TAIL_TEST_UNSET"
    os.environ.pop(env_var, None)
    proc = cli("tail", "ws://127.0.0.1:9/api/v2/realtime", "--token-env", env_var)
    assert proc.returncode == 5 and f"{env_var} is not set" in proc.stderr


def test_duration_and_ctrl_c_end_with_0(mock_server):
    srv = mock_server()
    proc = cli("tail", srv.url, "--token", TOKEN, "--subscribe", "x", "--duration", "0.3")
    assert proc.returncode == 0 and "stopped on request" in proc.stdout
    # the RTT line is waited for, not looked for in the 0.3 s run: on a busy machine connecting can take most of it
    tail = Proc("tail", srv.url, "--token", TOKEN, "--subscribe", "x", "--ping-every", "0.05")
    tail.until("subscription x active")
    tail.until(" rtt ")
    tail.p.send_signal(signal.SIGINT)
    rc, lines, err = tail.finish()
    assert rc == 0 and "closed 1000" in "\n".join(lines) and "Traceback" not in err


def test_reconnect_lines_after_a_restart(mock_server):
    srv = mock_server()
    tail = Proc("tail", srv.url, "--token", TOKEN, "--subscribe", "x", "--duration", "5")
    tail.until("subscription x active")
    srv.call(srv.server.close_all, 1001, "server restart")
    tail.until("closed 1001 — Going away (server restart) — reason: server restart")
    tail.until("waiting ")
    tail.until("subscription x active")
    tail.p.send_signal(signal.SIGINT)
    assert tail.finish()[0] == 0


def test_record_writes_a_recording(mock_server, tmp_path):
    from inspector.recording import open_recording
    srv = mock_server()
    path = tmp_path / "s.rirec"
    proc = cli("tail", srv.url, "--token", TOKEN, "--subscribe", "x", "--count", "1", "--record", str(path))
    assert proc.returncode == 0, proc.stderr
    events = open_recording(path).load()
    assert any(type(e).__name__ == "FrameSeen" for e in events)
    assert TOKEN not in path.read_text(encoding="utf-8", errors="replace")


def test_publish(mock_server):
    srv = mock_server()
    tail = Proc("tail", srv.url, "--token", TOKEN, "--subscribe", "orders", "--count", "5", "--json")
    tail.until('"state":"active"')
    proc = cli("publish", srv.url, "--token", TOKEN, "orders", '{"n": 1}', "--count", "2", "--rate", "50")
    assert proc.returncode == 0, proc.stderr
    replies = [json.loads(line) for line in proc.stdout.splitlines()]
    assert replies == [{"ok": True, "delivered": 1, "seq": 1}, {"ok": True, "delivered": 1, "seq": 2}]
    proc = cli("publish", srv.url.replace("/api/v2/realtime", ""), "--token", TOKEN, "orders", "-",
               input='{"n": 2}\n\n[3]\n')
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 2
    rc, lines, _ = tail.finish()
    data = [json.loads(line)["body"]["data"] for line in lines
            if '"type":"message"' in line]
    assert rc == 0 and data == [{"n": 1}, {"n": 1}, {"n": 2}, [3]]


def test_publish_errors(mock_server):
    srv = mock_server(tokens=frozenset({"other"}))
    proc = cli("publish", srv.url, "--token", TOKEN, "orders", '{"n": ')
    assert proc.returncode == 2 and "data is not JSON" in proc.stderr and "position" in proc.stderr
    proc = cli("publish", srv.url, "--token", TOKEN, "orders", "1")
    assert proc.returncode == 2 and "HTTP 401 invalid_token" in proc.stderr
    proc = cli("publish", srv.url, "--token", "other", "Bad Topic", "1")
    assert proc.returncode == 2 and "invalid topic" in proc.stderr
