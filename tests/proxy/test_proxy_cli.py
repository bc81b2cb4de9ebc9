"""``realtime-inspector proxy`` as a process: the listening line, --json lines on stdout,
--record read back by ``replay``, and no token anywhere."""

from __future__ import annotations

import json
import signal

from cli_proc import Proc, cli


def test_the_proxy_process_prints_json_and_records_both_sides(mock_server, kit, tmp_path) -> None:
    mock = mock_server()
    record = tmp_path / "both.rirec"
    proc = Proc("proxy", "--listen", "127.0.0.1:0", "--upstream", mock.url, "--json", "--record", str(record))
    try:
        listening = proc.until("listening on ")
        port = int(listening.split()[2].rsplit(":", 1)[1])

        async def body() -> None:
            async with kit.connect(f"ws://127.0.0.1:{port}/api/v2/realtime", auth="query") as ws:
                await kit.subscribe(ws, "orders.eu")
                await ws.send(b"\x20ab")
                assert await kit.recv(ws) == b"\x21ab"

        kit.run(body())
        proc.until('"kind":"PONG"')
    finally:
        proc.p.send_signal(signal.SIGTERM)
        rc, lines, err = proc.finish()
    assert rc == 0, err
    records = [json.loads(line) for line in lines if line.startswith("{")]
    kinds = [(r["direction"], r["kind"]) for r in records if r["event"] == "frame"]
    assert kinds == [("c2s", "SUBSCRIBE"), ("s2c", "EVENT"), ("c2s", "PING"), ("s2c", "PONG"), ("c2s", "WS_CLOSE"),
                     ("s2c", "WS_CLOSE")]
    upgrade = next(r for r in records if r["event"] == "upgrade")
    assert upgrade["path"] == "/api/v2/realtime?token=***"
    assert kit.TOKEN not in "\n".join(lines) + err
    replayed = cli("replay", str(record), "--json")
    assert replayed.returncode == 0, replayed.stderr
    frames = [json.loads(line) for line in replayed.stdout.splitlines() if '"event":"frame"' in line]
    assert [(f["dir"], f["kind"]) for f in frames] == [("out", "SUBSCRIBE"), ("in", "EVENT"), ("out", "PING"),
                                                       ("in", "PONG")]
    assert kit.TOKEN not in record.read_text()
    capture = tmp_path / "both.pcapng"
    exported = cli("replay", str(record), "--pcapng", str(capture))
    assert exported.returncode == 0, exported.stderr
    assert capture.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"  # a pcapng section header


def test_a_bad_rules_file_is_one_line_and_the_proxy_does_not_start(tmp_path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\naction = "drop"\nnth = "x"\n')
    done = cli("proxy", "--listen", "127.0.0.1:0", "--upstream", "ws://127.0.0.1:9", "--rules", str(rules))
    assert done.returncode == 2 and done.stdout == ""
    why = "rule 1: nth must be a whole number, not 'x'"
    assert done.stderr == f"realtime-inspector: error: {rules}, line 3, column 1: {why}\n"


def test_a_control_api_off_loopback_needs_a_token() -> None:
    done = cli("proxy", "--upstream", "ws://127.0.0.1:9", "--control", "0.0.0.0:0")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "realtime-inspector: error: --control on 0.0.0.0 (not loopback) needs --control-token\n"
