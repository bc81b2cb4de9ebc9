"""Reconnect delays as the client really waits them: sequence, jitter bounds, reset rule, no hot loop."""

from __future__ import annotations

import asyncio
import random
import socket

from net_kit import run

from inspector.client.engine import ClientConfig, RealtimeClient
from inspector.client.tokens import TokenSource
from inspector.mock.server import MockConfig, MockServer
from inspector.protocol.events import State, StateChanged


def closed_port_url() -> str:
    """A URL whose port refuses connections (bound once, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"ws://127.0.0.1:{port}/api/v2/realtime"


def client_for(url: str, **kw) -> tuple[RealtimeClient, list[StateChanged]]:
    client = RealtimeClient(ClientConfig(url, TokenSource.literal("backoff-token"), **kw))
    states: list[StateChanged] = []
    client.add_listener(lambda e: states.append(e) if isinstance(e, StateChanged) else None)
    return client, states


def timed(client: RealtimeClient) -> list[tuple[float, StateChanged]]:
    """Every state change with the loop's clock (the one the client's waits run on) when it came."""
    timeline: list[tuple[float, StateChanged]] = []
    loop = asyncio.get_running_loop()
    client.add_listener(lambda e: timeline.append((loop.time(), e)) if isinstance(e, StateChanged) else None)
    return timeline


def assert_waited_each_delay(client: RealtimeClient, timeline: list[tuple[float, StateChanged]]) -> None:
    """No hot loop: every attempt after the first follows a WAITING, no sooner than its delay."""
    connecting = [(t, e) for t, e in timeline if e.state is State.CONNECTING]
    assert client.stats.attempts == len(connecting)
    last_wait: tuple[float, StateChanged] | None = None
    for t, e in timeline:
        if e.state is State.WAITING:
            last_wait = (t, e)
        elif e.state is State.CONNECTING and e is not connecting[0][1]:
            assert last_wait is not None, "an attempt without a wait before it"
            waited_at, waiting = last_wait
            assert t - waited_at >= waiting.delay - 1e-3, (waiting.attempt, t - waited_at, waiting.delay)
            last_wait = None


async def waits(client: RealtimeClient, states: list, n: int) -> list[StateChanged]:
    while len([s for s in states if s.state is State.WAITING]) < n:
        await client.wait_state(State.WAITING, 5)
        await asyncio.sleep(0)
    return [s for s in states if s.state is State.WAITING][:n]


def expected(n: int, u: float, initial: float, cap: float) -> float:
    return min(cap, initial * 2**n * u)


def test_delay_sequence_at_the_jitter_bounds():
    """rng 0 gives factor 0.75, rng→1 gives 1.25; the cap applies after the jitter."""
    initial, cap = 0.004, 0.05
    for r, u in ((0.0, 0.75), (1.0 - 1e-12, 1.25)):
        async def body(r: float = r):
            client, states = client_for(closed_port_url(), backoff_initial=initial, backoff_cap=cap, rng=lambda: r)
            timeline = timed(client)
            client.start()
            got = await waits(client, states, 7)
            await client.stop()
            assert_waited_each_delay(client, timeline)
            return got
        got = run(body())
        assert [w.attempt for w in got] == list(range(1, 8))
        for n, w in enumerate(got):
            assert abs(w.delay - expected(n, u, initial, cap)) < 1e-9, (n, w.delay)
        assert got[-1].delay == cap


def test_random_jitter_stays_in_bounds():
    initial, cap = 0.002, 0.03
    rng = random.Random(7).random

    async def body():
        client, states = client_for(closed_port_url(), backoff_initial=initial, backoff_cap=cap, rng=rng)
        client.start()
        got = await waits(client, states, 8)
        await client.stop()
        return got
    for n, w in enumerate(run(body())):
        lo, hi = expected(n, 0.75, initial, cap), expected(n, 1.25, initial, cap)
        assert lo <= w.delay <= hi


def test_default_first_delay_is_half_a_second():
    async def body():
        client, states = client_for(closed_port_url(), rng=lambda: 0.5)
        client.start()
        (w,) = await waits(client, states, 1)
        await client.stop()  # does not sit out the 0.5 s
        return w
    assert run(body()).delay == 0.5


def _close_on_connect(srv: MockServer, code: int, after: float = 0.0):
    """Make the real mock accept every connection and close it ``after`` seconds later."""
    def listener(event, info):
        if event == "connect":
            async def close():
                await asyncio.sleep(after)
                await srv.close_all(code, "test close")
            asyncio.get_running_loop().create_task(close())
    srv.listeners.append(listener)


def test_accept_then_close_at_once_still_grows_the_delay_and_is_no_hot_loop():
    async def body():
        async with MockServer(MockConfig()) as srv:
            _close_on_connect(srv, 1011)
            client, states = client_for(srv.url, backoff_initial=0.005, backoff_cap=0.5, rng=lambda: 0.5)
            timeline = timed(client)
            client.start()
            await waits(client, states, 5)
            await client.stop()
            return client, states, timeline
    client, states, timeline = run(body())
    opened = [s for s in states if s.state is State.OPEN]
    delays = [s.delay for s in states if s.state is State.WAITING]
    assert len(opened) >= 4  # it did connect, again and again
    assert delays[:5] == [0.005, 0.01, 0.02, 0.04, 0.08]
    assert_waited_each_delay(client, timeline)


def test_attempt_counter_resets_only_after_staying_open_long_enough():
    async def body(reset_after: float):
        async with MockServer(MockConfig()) as srv:
            _close_on_connect(srv, 1001, after=0.08)
            client, states = client_for(srv.url, backoff_initial=0.01, backoff_cap=1.0,
                                        backoff_reset_after=reset_after, rng=lambda: 0.5)
            client.start()
            await waits(client, states, 3)
            await client.stop()
            return [s.delay for s in states if s.state is State.WAITING][:3]
    assert run(body(0.04)) == [0.01, 0.01, 0.01]  # open 0.08 s >= 0.04 s: n back to 0 each time
    assert run(body(10.0)) == [0.01, 0.02, 0.04]  # never open 10 s: keeps growing


def test_many_refused_connects_wait_each_growing_delay():
    async def body():
        client, states = client_for(closed_port_url(), backoff_initial=0.005, backoff_cap=10.0, rng=lambda: 0.5)
        timeline = timed(client)
        client.start()
        await waits(client, states, 5)
        await client.stop()
        return client, states, timeline
    client, states, timeline = run(body())
    assert [s.delay for s in states if s.state is State.WAITING][:5] == [0.005, 0.01, 0.02, 0.04, 0.08]
    assert_waited_each_delay(client, timeline)
