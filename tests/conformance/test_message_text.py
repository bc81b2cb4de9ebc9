"""The message-text rules judge what a server says, not one way of saying it: RT-FILTER-4 takes the
JMESPath library's own error text (a caret line under the expression), and RT-AUTH-9 any RFC 8288
way of writing a help link."""

import asyncio

import jmespath
import pytest
from websockets.asyncio.server import serve

from inspector.conformance.conform import conform, server_cases
from inspector.conformance.message_text import has_help_link, says_where
from inspector.conformance.report import Outcome
from inspector.conformance.runner import RunOptions
from inspector.protocol.frames import Error, Ping, Pong, Subscribe, encode, try_decode


def library_text(expression: str) -> str:
    try:
        jmespath.compile(expression)
    except jmespath.exceptions.ParseError as exc:
        return str(exc)
    raise AssertionError(f"{expression!r} parses")


@pytest.mark.parametrize("expression", ["data.total > ", "data.[", "a.b[?x"])
def test_the_jmespath_librarys_caret_line_says_where(expression):
    text = library_text(expression)
    assert "^" in text.splitlines()[-1] and not any(c.isdigit() for c in text)  # only the caret says where
    assert says_where(text)


@pytest.mark.parametrize("message, where", [
    ("filter does not parse at column 12", True),
    ('parse error near "bar"', True),
    ("unexpected end of input", True),
    ("filter does not parse", False),
    ("syntax error", False),
    ("^ invalid", False),  # a caret that marks nothing under anything
    ("invalid filter at 12", True),
    ("line 1:14 mismatched input", True),
    ("invalid_filter: error E42 in subscription 9", False),  # an error code and the request id echoed back
    ("invalid filter (JMESPath 1.0 syntax)", False),
])
def test_says_where(message, where):
    assert says_where(message) is where


@pytest.mark.parametrize("values, ok", [
    (['<https://docs.example/rt>; rel="help"'], True),
    (["<https://docs.example/rt>; rel=help"], True),
    (['<https://docs.example/rt>; type="text/html"; rel="help"'], True),
    (['<https://docs.example/rt>; rel="describedby help"'], True),
    (['<https://a.example/>; rel="next", <https://docs.example/rt>; rel="help"'], True),
    (["<https://a.example/>; rel=next", "<https://docs.example/rt>; REL=Help"], True),
    (['<https://docs.example/rt>; title="auth, tokens; v2"; rel="help"'], True),  # a quoted , and ;
    (['<https://docs.example/rt>; rel="helpful"'], False),
    (['<https://docs.example/rt>; title="rel=help"'], False),
    ([], False),
])
def test_has_help_link(values, ok):
    assert has_help_link(values) is ok


async def _library_error_server(stop: asyncio.Event, ready: asyncio.Future) -> None:
    """A real WebSocket server that refuses every filter with the JMESPath library's own text."""
    async def handler(ws):
        async for data in ws:
            frame = try_decode(data)
            if isinstance(frame, Subscribe):
                await ws.send(encode(Error("invalid_filter", library_text(frame.filter or ""), frame.id)))
            elif isinstance(frame, Ping):
                await ws.send(encode(Pong(frame.payload)))
    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        ready.set_result(f"ws://127.0.0.1:{port}/api/v2/realtime")
        await stop.wait()


def test_rt_filter_4_passes_a_server_that_answers_with_the_jmespath_librarys_text():
    async def go():
        stop, ready = asyncio.Event(), asyncio.get_running_loop().create_future()
        server = asyncio.create_task(_library_error_server(stop, ready))
        try:
            url = await ready
            return await conform(url, "token", server_cases(["error-invalid-filter"]), RunOptions(), timeout=2)
        finally:
            stop.set()
            await server
    report = asyncio.run(go())
    [result] = report.results
    assert result.outcome is Outcome.PASS, result.message
