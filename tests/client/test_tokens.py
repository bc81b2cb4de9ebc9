"""Token sources: literal, environment, command; the value never shows in reprs or errors."""

from __future__ import annotations

import asyncio
import pickle

import pytest

from inspector.client.engine import ClientConfig
from inspector.client.tokens import TokenError, TokenSource

SECRET = "tok-9c2e-secret-value"


def fetch(source: TokenSource) -> str:
    return asyncio.run(source.fetch())


def test_literal():
    src = TokenSource.literal(f"  {SECRET}\n")
    assert fetch(src) == SECRET
    assert src.kind == "literal" and not src.refreshable
    for text in (repr(src), str(src), src.describe(), repr(ClientConfig("ws://h/x", src))):
        assert SECRET not in text
    with pytest.raises(TypeError):
        pickle.dumps(src)


def test_env(monkeypatch):
    monkeypatch.setenv("RT_TOKENS_TEST", SECRET)
    src = TokenSource.env("RT_TOKENS_TEST")
    assert fetch(src) == SECRET and src.refreshable and src.kind == "env"
    assert "RT_TOKENS_TEST" in repr(src) and SECRET not in repr(src)
    monkeypatch.setenv("RT_TOKENS_TEST", "   ")
    with pytest.raises(TokenError, match="empty"):
        fetch(src)
    monkeypatch.delenv("RT_TOKENS_TEST")
    with pytest.raises(TokenError, match="RT_TOKENS_TEST is not set"):
        fetch(src)


def test_command_output_is_stripped(tmp_path):
    src = TokenSource.command(f"printf '%s\\n' {SECRET}")
    assert fetch(src) == SECRET and src.refreshable and src.kind == "command"
    assert SECRET not in repr(src) and "printf" not in repr(src)


@pytest.mark.parametrize("cmd, match", [
    ("exit 3", "exit status 3"),
    ("echo oops >&2; exit 1", "exit status 1: oops"),
    ("true", "empty token"),
    ("echo 'two words'", "whitespace"),
    ("printf '\\377\\376'", "not UTF-8"),
])
def test_command_failures_are_clear(cmd, match):
    with pytest.raises(TokenError, match=match):
        fetch(TokenSource.command(cmd))


def test_command_failure_never_shows_stdout():
    # A command that prints a token and then fails: the error must not carry the token.
    with pytest.raises(TokenError) as exc:
        fetch(TokenSource.command(f"echo {SECRET}; exit 2"))
    assert SECRET not in str(exc.value)


def test_command_timeout():
    src = TokenSource.command("sleep 5", timeout=0.2)
    with pytest.raises(TokenError, match="did not finish"):
        fetch(src)


def test_command_is_run_asynchronously():
    async def body():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1
        t = asyncio.create_task(ticker())
        value = await TokenSource.command(f"sleep 0.2; echo {SECRET}").fetch()
        t.cancel()
        return value, ticks
    value, ticks = asyncio.run(body())
    assert value == SECRET and ticks >= 5  # the loop kept running meanwhile


def test_unknown_kind_rejected():
    with pytest.raises(ValueError):
        TokenSource("file", "/x")
