"""Tokens are redacted where they travel (the token query parameter, Authorization), never by
rewriting data: a short token that is part of topics, filters, payloads, hosts and profile
names leaves all of them exact in tail --json, recordings, replay --json and both exports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from inspector.recording import open_recording
from inspector.recording.export import export_har, export_recording
from inspector.redact import forget_secrets, redact_url, register_secret, scrub

CLI = [sys.executable, "-m", "inspector"]
TOKEN = "local"  # part of "localhost", of the topic, the filter and the payload below
TOPIC = "local.devices"
FILTER = "data.site == 'local-1'"
# Every place the token may legitimately show up because it is part of data.
DATA = ("localhost", TOPIC, "local-1", '"note":"local"', '"note": "local"', r'\"note\":\"local\"', "local_site")


def without_data(text: str) -> str:
    for piece in sorted(DATA, key=len, reverse=True):
        text = text.replace(piece, "")
    return text


def assert_token_only_in_data(text: str) -> None:
    assert "token=" + TOKEN not in text and "Bearer " + TOKEN not in text
    rest = without_data(text)
    assert TOKEN not in rest, rest[max(0, rest.find(TOKEN) - 80):rest.find(TOKEN) + 80]


def strings_in(obj) -> set[str]:
    if isinstance(obj, str):
        return {obj}
    if isinstance(obj, dict):
        return set().union(*(strings_in(v) for v in obj.values()), set()) | set(obj)
    if isinstance(obj, list):
        return set().union(*(strings_in(v) for v in obj), set())
    return set()


def test_redact_url_masks_only_the_token_parameter_and_userinfo():
    register_secret("dev")
    url = "wss://dev:pw@devices.dev.example:8443/dev/api?topic=devices.eu&token=dev&q=a%20b+c&dev=1"
    assert redact_url(url) == "wss://***@devices.dev.example:8443/dev/api?topic=devices.eu&token=***&q=a%20b+c&dev=1"
    assert redact_url("ws://h/api?Token=dev") == "ws://h/api?Token=***"


def test_scrub_masks_a_registered_token_only_as_a_whole_word():
    register_secret("dev")
    text = "subscribe devices.eu filter data.device == 'dev-1' failed; token dev refused (Bearer dev) ?token=dev"
    assert scrub(text) == ("subscribe devices.eu filter data.device == 'dev-1' failed; token *** refused "
                           "(Bearer ***) ?token=***")
    assert scrub("quoted 'dev' and /path/dev/x and dev.") == "quoted '***' and /path/dev/x and dev."


def tail(url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "tail", url, "--token", TOKEN, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8")


@pytest.mark.parametrize("auth", ["header", "query"])
def test_short_token_inside_data_survives_tail_recording_replay_and_exports(mock_server, tmp_path, auth):
    srv = mock_server()
    url = srv.url.replace("127.0.0.1", "localhost") + "?local_site=1"
    rec = tmp_path / "s.rirec"
    proc = tail(url, "--auth", auth, "--subscribe", f"{TOPIC}={FILTER}", "--json", "--record", str(rec),
                "--count", "3")
    first = proc.stdout.readline()
    lines = [first]
    while '"active"' not in lines[-1]:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        lines.append(line)
    srv.call(srv.server.publish, TOPIC, {"site": "local-1", "note": "local"})
    srv.call(srv.server.publish, TOPIC, {"site": "other", "note": "local"})  # filtered out
    srv.call(srv.server.publish, TOPIC, {"site": "local-1", "note": "local"})
    with proc:  # read through the buffered reader (communicate() would skip its buffer), then close the pipes
        out, err = proc.stdout.read(), proc.stderr.read()
        proc.wait(20)
    assert proc.returncode == 0, err
    lines += out.splitlines(keepends=True)
    tail_text = "".join(lines)
    objs = [json.loads(line) for line in lines]
    assert {TOPIC, FILTER} <= strings_in(objs)
    assert sum('"note": "local"' in json.dumps(o) or '"note":"local"' in json.dumps(o) for o in objs) >= 2
    assert_token_only_in_data(tail_text + err)

    raw = rec.read_text()
    assert_token_only_in_data(raw)
    recorded = [json.loads(line) for line in raw.splitlines()]
    assert recorded[0]["profile"] == "tail"
    assert recorded[0]["url"].startswith("ws://localhost:") and "local_site=1" in recorded[0]["url"]
    assert {TOPIC, FILTER} <= strings_in(recorded)

    replay = subprocess.run([*CLI, "replay", str(rec), "--json"], capture_output=True, text=True, timeout=20)
    assert replay.returncode == 0, replay.stderr
    assert {TOPIC, FILTER} <= strings_in([json.loads(line) for line in replay.stdout.splitlines()])
    assert_token_only_in_data(replay.stdout + replay.stderr)

    events = open_recording(rec).load()
    export_recording(events, tmp_path / "x.rirec", profile="local mock", url=url + f"&token={TOKEN}")
    export_har(events, tmp_path / "x.har", url=url + f"&token={TOKEN}")
    exported = (tmp_path / "x.rirec").read_text()
    assert json.loads(exported.splitlines()[0])["profile"] == "local mock"
    assert_token_only_in_data(exported.replace("local mock", ""))
    har = (tmp_path / "x.har").read_text()
    assert_token_only_in_data(har)
    doc = json.loads(har)
    assert all(e["request"]["url"].startswith("ws://localhost:") for e in doc["log"]["entries"])


def test_usage_errors_do_not_echo_a_token():
    secret = "cli-secret-token-91"
    proc = subprocess.run([*CLI, "replay", "x.rirec", "--token", secret], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 2 and "unrecognized arguments" in proc.stderr
    assert secret not in proc.stderr + proc.stdout


@pytest.mark.parametrize("debug", [False, True])
def test_unexpected_errors_are_one_scrubbed_line(monkeypatch, capsys, debug):
    """Whatever an unforeseen exception says, the error path masks tokens like the logs do."""
    import inspector.cli.main as cli

    secret = "cli-secret-token-92"

    def boom(args):
        raise RuntimeError(f"upgrade to ws://h/api?token={secret} with Authorization: Bearer {secret} "
                           f"failed ({secret})")

    monkeypatch.setattr(cli, "_dispatch", boom)
    argv = (["--debug"] if debug else []) + ["tail", "ws://127.0.0.1:9/api/v2/realtime", "--token", secret]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert secret not in err and "upgrade to ws://h/api?token=***" in err
    if not debug:
        assert err.count("\n") == 1 and "RuntimeError" in err


def test_cleartext_token_warning_only_off_loopback(mock_server):
    srv = mock_server()
    far = subprocess.run([*CLI, "tail", "ws://192.0.2.1:9/api/v2/realtime", "--token", "x-token", "--duration",
                          "0.3"], capture_output=True, text=True, timeout=20)
    warnings = [line for line in far.stderr.splitlines() if "unencrypted" in line]
    assert len(warnings) == 1 and "192.0.2.1" in warnings[0] and "x-token" not in far.stderr
    for url in (srv.url, srv.url.replace("127.0.0.1", "localhost"), "wss://192.0.2.1:9/api/v2/realtime"):
        near = subprocess.run([*CLI, "tail", url, "--token", "x-token", "--duration", "0.3"],
                              capture_output=True, text=True, timeout=20)
        assert "unencrypted" not in near.stderr, url


def test_a_forgotten_secret_is_shown_again():
    register_secret("s3cr3t-value")
    assert scrub("bad token s3cr3t-value") == "bad token ***"
    forget_secrets()
    assert scrub("bad token s3cr3t-value") == "bad token s3cr3t-value"
