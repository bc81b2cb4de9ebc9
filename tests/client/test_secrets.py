"""The token never appears in logs (every logger at DEBUG), output, reprs, events or errors."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from urllib.parse import quote

import pytest
from net_kit import run

from inspector.client.engine import ClientConfig, RealtimeClient
from inspector.client.tokens import TokenSource
from inspector.mock.server import MockConfig, MockServer
from inspector.protocol.events import State
from inspector.redact import redact_url, scrub

SECRET = "s3cr3t-T0ken/with+odd=chars"
SECRET2 = "second-s3cret-token-71"
FORMS = [SECRET, quote(SECRET, safe=""), SECRET2]


def leaks(text: str) -> list[str]:
    return [f for f in FORMS if f in text]



async def session(tmp_path):
    """Header and query placement, a reconnect, a 4401 refresh, a 401 and a refused connect."""
    seen = []
    good = frozenset({SECRET, SECRET2})
    async with MockServer(MockConfig(tokens=good)) as srv:
        for auth in ("header", "query"):
            client = RealtimeClient(ClientConfig(srv.url, TokenSource.literal(SECRET), auth=auth,
                                                 backoff_initial=0.01, ping_interval=0.05))
            client.add_listener(seen.append)
            client.subscribe("orders")
            client.start()
            await client.wait_state(State.OPEN, 3)
            await client.wait_event(lambda e: type(e).__name__ == "RttMeasured", 3)
            await srv.close_all(1001, "server restart")
            await client.wait_state(State.WAITING, 3)
            await client.wait_state(State.OPEN, 3)
            seen.append(repr(client.config))
            await client.stop()
        # 4401 with a command source that hands out the second token.
        flag = tmp_path / "second"
        cmd = f'if [ -e "{flag}" ]; then echo {SECRET2}; else touch "{flag}"; echo "{SECRET}"; fi'
        client = RealtimeClient(ClientConfig(srv.url, TokenSource.command(cmd), auth="query", backoff_initial=0.01))
        client.add_listener(seen.append)
        client.start()
        await client.wait_state(State.OPEN, 3)
        await srv.expire_tokens()
        await client.wait_state(State.WAITING, 3)
        await client.wait_state(State.OPEN, 3)
        await client.stop()
        # 401: a token the server does not accept, in both places.
        for auth in ("header", "query"):
            bad = RealtimeClient(ClientConfig(srv.url, TokenSource.literal(SECRET + "x"), auth=auth))
            bad.add_listener(seen.append)
            bad.start()
            stopped = await bad.wait_state(State.STOPPED, 3)
            assert stopped.http_code == "invalid_token"
        port = srv.port
    refused = RealtimeClient(ClientConfig(f"ws://127.0.0.1:{port}/api/v2/realtime?token={quote(SECRET, safe='')}",
                                          TokenSource.literal(SECRET), auth="query", backoff_initial=0.01))
    refused.add_listener(seen.append)
    refused.start()
    await refused.wait_state(State.WAITING, 3)
    await refused.stop()
    return seen


def test_no_token_in_debug_logs_output_or_events(tmp_path, capfd):
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    names = ("websockets", "websockets.client", "websockets.server", "asyncio", "inspector")
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        seen = run(session(tmp_path))
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        for name, level in levels.items():  # later tests must not inherit DEBUG loggers
            logging.getLogger(name).setLevel(level)
    logs = buf.getvalue()
    assert "Authorization" in logs and "GET /api/v2/realtime?token=" in logs  # websockets did log them
    assert leaks(logs) == []
    out, err = capfd.readouterr()
    assert leaks(out + err) == []
    assert leaks("\n".join(repr(e) for e in seen)) == []


def test_tail_and_publish_commands_never_print_the_token(mock_server):
    srv = mock_server(tokens=frozenset({SECRET}))
    env = dict(os.environ, RT_SECRET_TEST=SECRET)
    base = [sys.executable, "-m", "inspector", "--debug"]
    runs = [
        [*base, "tail", srv.url, "--token-env", "RT_SECRET_TEST", "--auth", "query", "--subscribe", "x",
         "--duration", "0.5", "--ping-every", "0.1"],
        [*base, "tail", srv.url, "--token", SECRET, "--subscribe", "x", "--duration", "0.3", "--json"],
        [*base, "tail", srv.url, "--token", SECRET + "bad", "--auth", "query"],
        [*base, "publish", srv.url, "--token-env", "RT_SECRET_TEST", "--auth", "query", "x", '{"a": 1}'],
    ]
    for argv in runs:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=30)
        assert leaks(proc.stdout + proc.stderr) == [], argv
        assert "DEBUG" in proc.stderr
    assert proc.returncode == 0 and '"ok": true' in proc.stdout.replace('"ok":true', '"ok": true')


def test_redact_helpers():
    url = f"wss://user:pw@host:8443/api/v2/realtime?a=1&token={quote(SECRET, safe='')}#f"
    shown = redact_url(url)
    assert leaks(shown) == [] and "pw" not in shown and "a=1" in shown and "host:8443" in shown
    assert scrub(f"Authorization: Bearer {SECRET2}") == "Authorization: Bearer ***"
    assert scrub(f"GET /x?token={SECRET2} HTTP/1.1") == "GET /x?token=*** HTTP/1.1"
    assert scrub("unrelated words") == "unrelated words"



KNOWN = "m4sk-s3cret-q9"  # registered below: a secret the process knows must still not be searched for


@pytest.mark.parametrize("url, masked", [
    (f"wss://h/api/v2/realtime?token={KNOWN}", "wss://h/api/v2/realtime?token=***"),
    (f"wss://u:pw@h:8443/p?a=1&Token={KNOWN}&b=%20x+y#frag", "wss://***@h:8443/p?a=1&Token=***&b=%20x+y#frag"),
    (f"ws://h/p?to%6Ben={KNOWN}&x", "ws://h/p?to%6Ben=***&x"),         # the name as a server decodes it
    ("ws://h/p?token=&token", "ws://h/p?token=&token"),                 # nothing to hide
    (f"ws://{KNOWN}/{KNOWN}?q={KNOWN}#token={KNOWN}", f"ws://{KNOWN}/{KNOWN}?q={KNOWN}#token={KNOWN}"),
    (f"not a url token={KNOWN}", f"not a url token={KNOWN}"),
])
def test_redact_url_masks_by_structure_only(url, masked):
    from inspector.redact import redact_url, register_secret
    register_secret(KNOWN)
    assert redact_url(url) == masked
