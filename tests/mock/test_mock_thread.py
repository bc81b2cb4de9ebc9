"""MockServerThread: a server on its own loop, driven from another thread (the GUI's)."""

import asyncio
import socket

import pytest

from inspector.mock.server import MockConfig
from inspector.mock.thread import MockServerThread


def test_start_call_stop(kit, mock_server):
    thread = mock_server()
    assert thread.url == f"ws://127.0.0.1:{thread.port}/api/v2/realtime"
    assert thread.control_url.endswith("/mock/control")

    async def go():
        async with kit.connect(thread.url) as ws:
            await kit.subscribe(ws, "t")
            delivered = thread.call(thread.server.publish, "t", {"x": 1})
            event = await kit.recv_json(ws)
            closed = await asyncio.to_thread(thread.call, thread.server.close_all, 4000, "from the gui")
            return delivered, event["data"], closed, await kit.expect_close(ws)
    delivered, data, closed, code = kit.run(go())
    assert delivered == (1, 1) and data == {"x": 1}
    assert closed == 1 and code == (4000, "from the gui")
    assert thread.call(lambda: thread.server.stats()["connections"]) == 0


def test_fault_flags_can_be_set_through_call(kit, mock_server):
    thread = mock_server()
    thread.call(setattr, thread.server, "answer_pings", False)

    async def go():
        async with kit.connect(thread.url) as ws:
            await ws.send(b"\x20x")
            return await kit.subscribe(ws, "after.the.ping")  # its sync is the next frame: no PONG came before it
    assert kit.run(go())["data"]["action"] == "sync"


def test_stop_closes_with_1001_and_frees_the_port(kit):
    thread = MockServerThread(MockConfig())
    thread.start()
    port = thread.port

    async def go():
        async with kit.connect(thread.url) as ws:
            await kit.subscribe(ws, "t")
            await asyncio.to_thread(thread.stop)
            return await kit.expect_close(ws)
    assert kit.run(go()) == (1001, "server restart")
    assert not thread.running
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))  # released
    thread.stop()  # idempotent


def test_bind_error_is_raised_by_start(kit):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        thread = MockServerThread(MockConfig(port=busy.getsockname()[1]))
        with pytest.raises(OSError):
            thread.start()
        assert not thread.running


def test_call_on_a_stopped_thread_is_a_clear_error():
    thread = MockServerThread()
    with pytest.raises(RuntimeError, match="not running"):
        thread.call(lambda: 1)


def test_demo_runs_on_the_thread(kit, mock_server):
    thread = mock_server()
    thread.call(thread.server.start_demo)
    assert thread.call(lambda: thread.server.demo_running)

    async def go():
        async with kit.connect(thread.url) as ws:
            await kit.subscribe(ws, "ticker")
            return await kit.recv_json(ws, timeout=2)
    event = kit.run(go())
    assert event["topic"] == "ticker" and {"symbol", "price"} <= set(event["data"])
    thread.call(thread.server.stop_demo)
    assert not thread.call(lambda: thread.server.demo_running)


def test_calls_racing_a_stop_end_cleanly():
    """A call the stopping loop never runs ends at once with a clear error, and its coroutine
    is closed (no "never awaited" warning, which the suite turns into an error). Calls that
    reach the loop while it winds down are cancelled, not left pending on it (the leak guard
    fails the test on a pending task). Three callers a round make that race common."""
    import threading

    outcomes: list[str] = []
    for _ in range(40):
        thread = MockServerThread(MockConfig(port=0))
        thread.start()
        go = threading.Event()

        def hammer(t: MockServerThread = thread, start: threading.Event = go) -> None:
            start.wait()
            while True:
                try:
                    t.call(lambda: None, timeout=5)
                except RuntimeError as exc:
                    outcomes.append(str(exc))
                    return
        callers = [threading.Thread(target=hammer) for _ in range(3)]
        for caller in callers:
            caller.start()
        go.set()
        thread.stop()
        for caller in callers:
            caller.join(10)
            assert not caller.is_alive()
    assert len(outcomes) == 120 and all("not running" in o or "stopped" in o for o in outcomes)
