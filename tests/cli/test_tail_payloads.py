"""tail, replay and mock with an AsyncAPI contract and payload decoders, as subprocesses
against the real mock server."""

from __future__ import annotations

import base64
import itertools
import json
import os
import signal
import subprocess
import sys
import zlib
from importlib import resources

import msgpack
import pytest
from cli_proc import TOKEN, Proc, cli

CONTRACT = str(resources.files("inspector").joinpath("docs/realtime.asyncapi.yaml"))


def frames(lines: list[str]) -> list[dict]:
    out = [json.loads(line) for line in lines]
    return [o for o in out if o["event"] == "frame" and o["kind"] == "EVENT" and o["body"]["type"] == "message"]


def test_tail_json_adds_the_violation_and_replay_finds_it_again(mock_server, tmp_path):
    srv = mock_server()
    rec = tmp_path / "s.rirec"
    tail = Proc("tail", srv.url, "--token", TOKEN, "--subscribe", "orders.eu", "--json", "--count", "3",
                "--asyncapi", CONTRACT, "--record", str(rec))
    tail.until('"state":"active"')
    srv.call(srv.server.publish, "orders.eu", {"id": "o-1", "total": 250})
    srv.call(srv.server.publish, "orders.eu", {"total": -1, "id": "o-2"})
    rc, lines, err = tail.finish()
    assert rc == 0, err
    good, bad = frames(lines)
    assert "violation" not in good
    assert bad["violation"] == {"pointer": "/total", "rule": "minimum", "expected": 0,
                                "message": "-1 is less than the minimum of 0"}
    assert bad["body"]["data"] == {"total": -1, "id": "o-2"}  # the data itself as sent
    replay = cli("replay", str(rec), "--json", "--asyncapi", CONTRACT)
    assert replay.returncode == 0, replay.stderr
    assert [f.get("violation") for f in frames(replay.stdout.splitlines())] == [None, bad["violation"]]
    text = cli("replay", str(rec), "--asyncapi", CONTRACT)
    marked = [line for line in text.stdout.splitlines() if "!! violation" in line]
    assert len(marked) == 1 and "/total: minimum: -1 is less than the minimum of 0" in marked[0]


def test_tail_decode_chains_a_builtin_and_the_installed_plugin(mock_server, tmp_path):
    srv = mock_server()
    rec = tmp_path / "s.rirec"
    tail = Proc("tail", srv.url, "--token", TOKEN, "--subscribe", "sensors.kitchen", "--subscribe", "audit.log",
                "--count", "4", "--decode", "sensors.*=base64+msgpack", "--decode", "audit.*=base64+zlib",
                "--record", str(rec))
    tail.until(" active")
    tail.until(" active")
    packed = base64.b64encode(msgpack.packb({"celsius": 21.5, "ok": True})).decode()
    squeezed = base64.b64encode(zlib.compress(b'{"user": "ada", "action": "login"}')).decode()
    srv.call(srv.server.publish, "sensors.kitchen", packed)
    srv.call(srv.server.publish, "audit.log", squeezed)
    rc, lines, err = tail.finish()
    assert rc == 0, err
    sensor = next(line for line in lines if "sensors.kitchen" in line and "#1" in line)
    assert sensor.endswith('= msgpack {"celsius":21.5,"ok":true}')
    audit = next(line for line in lines if "audit.log" in line and "#1" in line)
    assert '{"user":"ada","action":"login"}' in audit and "= zlib " in audit
    replay = cli("replay", str(rec), "--json", "--decode", "sensors.*=base64+msgpack", "--decode", "audit.*=auto")
    assert replay.returncode == 0, replay.stderr
    decoded = [f["decoded"] for f in frames(replay.stdout.splitlines())]
    assert decoded[0]["value"] == {"celsius": 21.5, "ok": True}
    # auto: base64 scores best for this text; the bytes it makes are shown as hex
    assert decoded[1]["decoders"] == "auto" and decoded[1]["value"] == base64.b64decode(squeezed).hex()


def test_tail_json_carries_the_decoded_value_or_the_error(mock_server):
    srv = mock_server()
    tail = Proc("tail", srv.url, "--token", TOKEN, "--subscribe", "sensors.hall", "--json", "--count", "3",
                "--decode", "sensors.*=base64+cbor")
    tail.until('"state":"active"')
    srv.call(srv.server.publish, "sensors.hall", base64.b64encode(bytes.fromhex("a26161016162820203")).decode())
    srv.call(srv.server.publish, "sensors.hall", {"not": "a string"})
    rc, lines, err = tail.finish()
    assert rc == 0, err
    ok, wrong = frames(lines)
    assert ok["decoded"] == {"decoders": "base64+cbor", "value": {"a": 1, "b": [2, 3]},
                             "summary": 'cbor {"a":1,"b":[2,3]}'}
    assert wrong["decoded"] == {"decoders": "base64+cbor", "error": "base64: does not apply to an object"}
    seen = [json.loads(line) for line in lines]
    presence = [o for o in seen if o["event"] == "frame" and o["kind"] == "EVENT" and o["body"]["type"] == "presence"]
    assert presence and not any("decoded" in o for o in presence)  # presence data is the protocol's: not decoded


@pytest.mark.parametrize("args,needle", [
    (["--asyncapi", "missing.yaml"], "--asyncapi: cannot read missing.yaml"),
    (["--decode", "x=base64+protobuf"], "--decode: unknown decoder 'protobuf'"),
])
def test_bad_payload_options_are_one_line(tmp_path, args, needle):
    r = cli("tail", "ws://127.0.0.1:9/api/v2/realtime", "--token", "t", *args)
    assert r.returncode == 2 and needle in r.stderr and r.stderr.count("\n") == 1, r.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_mock_asyncapi_publishes_each_topics_examples(tmp_path):
    mock = subprocess.Popen([sys.executable, "-m", "inspector", "mock", "--port", "0", "--asyncapi", CONTRACT,
                             "--every", "0.05"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = mock.stdout.readline().split()[-1]
        assert "publishing examples every 0.05 s on ticker, orders.eu, orders.us, chat.lobby" in mock.stdout.readline()
        tail = Proc("tail", url, "--token", TOKEN, "--subscribe", "ticker", "--subscribe", "orders.us", "--json",
                    "--count", "8", "--asyncapi", CONTRACT)
        rc, lines, err = tail.finish(timeout=20)
        assert rc == 0, err
        seen = frames(lines)
        ticks = [f["body"]["data"] for f in seen if f["topic"] == "ticker"]
        orders = [f["body"]["data"] for f in seen if f["topic"] == "orders.us"]
        examples = [{"symbol": "ACME", "price": 182.4, "change": 0.12, "volume": 120},
                    {"symbol": "WAYNE", "price": 97.3, "change": -0.4, "volume": 40}]
        assert ticks and all(t in examples for t in ticks)
        assert all(a != b for a, b in itertools.pairwise(ticks))  # round robin
        assert orders and orders[0]["id"].startswith("o-")
        assert all("violation" not in f for f in seen)  # the examples keep their own contract
    finally:
        mock.send_signal(signal.SIGTERM)
        mock.communicate(timeout=10)


def test_mock_asyncapi_without_examples_is_one_line(tmp_path):
    doc = tmp_path / "empty.yaml"
    doc.write_text("asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\nchannels: {}\n")
    r = cli("mock", "--port", "0", "--asyncapi", str(doc))
    assert r.returncode == 2 and "has no topic channel with examples" in r.stderr
