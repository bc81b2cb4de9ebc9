"""A server (the MockServer, or the app's proxy) on its own asyncio loop in a daemon thread,
so a GUI loop is never starved."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from inspector.mock.server import MockConfig, MockServer

CALL_POLL_S = 0.05  # how often a waiting call checks that the server thread still runs


class Startable(Protocol):
    async def start(self) -> None: ...


S = TypeVar("S", bound=Startable)


class LoopThread(Generic[S]):
    """``server`` on a loop of its own in the daemon thread ``name``: ``start_thread()`` blocks until
    it listens (a bind error raised there), ``call`` runs its methods, ``stop()`` ends it."""

    def __init__(self, server: S, name: str) -> None:
        self.server = server
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self._closing = False  # the loop is winding down: calls are refused

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    async def stop_server(self) -> None:
        """How the server ends, on its loop (before the thread does)."""

    def start_thread(self, timeout: float = 10) -> None:
        started: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(started,), name=self._name, daemon=True)
        self._thread.start()
        try:
            started.result(timeout)  # re-raises a bind error here, in the caller's thread
        except BaseException:
            self._thread.join(timeout)
            raise

    def _run(self, started: concurrent.futures.Future[None]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._closing = False
        try:
            loop.run_until_complete(self._main(started))
        finally:
            self._closing = True
            try:
                _cancel_remaining(loop)
            finally:
                loop.close()

    async def _main(self, started: concurrent.futures.Future[None]) -> None:
        self._stopped = asyncio.Event()
        try:
            await self.server.start()
        except BaseException as exc:  # noqa: BLE001 - handed to the starting thread
            started.set_exception(exc)
            return
        started.set_result(None)
        await self._stopped.wait()

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float | None = 10) -> Any:
        """Run ``fn(*args)`` on the server's loop and return its result (awaited if a coroutine)."""
        loop = self._loop
        if loop is None or self._closing or not self.running:
            raise RuntimeError(f"the {self._name} thread is not running")

        async def run() -> Any:
            result = fn(*args)
            if inspect.isawaitable(result):
                result = await result
            return result

        coro = run()
        try:
            future = asyncio.run_coroutine_threadsafe(coro, loop)
        except RuntimeError:  # the loop closed since the check above
            coro.close()
            raise RuntimeError(f"the {self._name} thread is not running") from None
        deadline = None if timeout is None else time.monotonic() + timeout
        thread = self._thread
        while True:  # a stop racing this call ends the loop before it runs: do not wait for nothing
            try:
                return future.result(CALL_POLL_S)
            except concurrent.futures.CancelledError:  # the stopping loop cancelled it midway
                raise RuntimeError(f"the {self._name} thread stopped during the call") from None
            except concurrent.futures.TimeoutError:
                if future.done():  # fn itself raised TimeoutError
                    return future.result()
                stopped = thread is None or not thread.is_alive()
                if not stopped and (deadline is None or time.monotonic() < deadline):
                    continue
                if stopped:  # its loop is closed: nothing to cancel there
                    if inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
                        coro.close()  # never started: say so, not "never awaited" at collection
                    raise RuntimeError(f"the {self._name} thread stopped before the call ran") from None
                future.cancel()
                raise

    def stop(self, timeout: float = 10) -> None:
        """``stop_server`` on the server's loop, then end the thread."""
        thread, loop, stopped = self._thread, self._loop, self._stopped
        if thread is None or not thread.is_alive():
            return
        assert loop is not None and stopped is not None  # both set before start() returned

        async def shutdown() -> None:
            try:
                await self.stop_server()
            finally:
                stopped.set()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout)
        finally:
            thread.join(timeout)


class MockServerThread(LoopThread[MockServer]):
    """Start with ``start()`` (returns the URL); run server methods with ``call``; ``stop()`` at the end.

    Listeners added to ``server.listeners`` run on the server's thread: marshal to your own
    loop or GUI thread before touching anything there.
    """

    def __init__(self, config: MockConfig | None = None):
        super().__init__(MockServer(config), name="mock-server")

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def control_url(self) -> str:
        return self.server.control_url

    @property
    def port(self) -> int | None:
        return self.server.port

    def start(self, timeout: float = 10) -> str:
        """Start listening; blocks until it does and returns the realtime URL."""
        if not self.running:
            self.start_thread(timeout)
        return self.url

    async def stop_server(self) -> None:
        """Close every connection with 1001 ``server restart``."""
        await self.server.stop()


def _cancel_remaining(loop: asyncio.AbstractEventLoop) -> None:
    """As ``asyncio.run`` does: tasks still running on the loop (a replay played into the
    server) are cancelled and finish before it closes, instead of being destroyed pending.
    Running the loop for that also starts calls another thread submitted meanwhile, as new
    tasks: those are cancelled in turn, until a turn starts none."""
    while True:
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        if not asyncio.all_tasks(loop):
            return
