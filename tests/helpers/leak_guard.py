"""Fail a test that leaves asyncio tasks, threads or child processes behind.

Leaked work from one test runs into the next and turns its failures into noise, so
every test is checked at teardown:

- asyncio: a coroutine run with ``asyncio.run`` must not leave tasks pending when it
  returns (``asyncio.run`` would cancel them silently); a loop made with
  ``asyncio.new_event_loop`` during the test must be closed, with no task pending.
- threads: every thread the test started, daemon or not, must have ended (after a
  short join: a stop() may still be on its way out).
- child processes: none started during the test may still be running.

``@pytest.mark.allow_leaks(reason="...")`` opts a test out; the reason is required.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")
JOIN_GRACE = 5.0  # seconds a thread or process gets to finish a shutdown already under way (slow, busy CI)


def _where(skip: int = 2) -> str:
    return "".join(traceback.format_stack(limit=8)[:-skip])


@dataclass
class Watch:
    """What a test starts, recorded while it runs."""

    threads: weakref.WeakKeyDictionary[threading.Thread, str] = field(default_factory=weakref.WeakKeyDictionary)
    loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, str] = field(
        default_factory=weakref.WeakKeyDictionary)
    leaked_tasks: list[str] = field(default_factory=list)
    children_before: set[int] = field(default_factory=set)


def child_pids() -> set[int]:
    """Running (not zombie) children of this process; empty where there is no /proc."""
    me, pids = os.getpid(), set[int]()
    proc = Path("/proc")
    if not proc.is_dir():
        return pids
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        if int(ppid) == me and state != "Z":
            pids.add(int(entry.name))
    return pids


def _describe_child(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmd = "?"
    return f"child process {pid} still running: {cmd[:200]}"


def describe_task(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    frame = getattr(coro, "cr_frame", None)
    at = f" at {frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else ""
    return f"{task.get_name()} ({getattr(coro, '__qualname__', coro)!s}{at})"


def pending_tasks(loop: asyncio.AbstractEventLoop) -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks(loop) if not t.done()]


class Guard:
    """Installs the recording hooks for one test and reports what is left at its end."""

    def __init__(self) -> None:
        self.watch = Watch()
        self._restore: list[Callable[[], None]] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        watch = self.watch
        watch.children_before = child_pids()
        original_start = threading.Thread.start
        original_new_loop = asyncio.new_event_loop

        def start(thread: threading.Thread) -> None:
            watch.threads[thread] = _where()
            original_start(thread)

        def new_event_loop() -> asyncio.AbstractEventLoop:
            loop = original_new_loop()
            watch.loops[loop] = _where()
            return loop

        def run(main: Coroutine[Any, Any, T], *, debug: bool | None = None) -> T:
            with asyncio.Runner(debug=debug) as runner:
                result = runner.run(main)
                left = pending_tasks(runner.get_loop())
                if left:
                    watch.leaked_tasks += [f"task {describe_task(t)} still pending when asyncio.run returned"
                                           for t in left]
                return result

        monkeypatch.setattr(threading.Thread, "start", start)
        monkeypatch.setattr(asyncio, "new_event_loop", new_event_loop)
        monkeypatch.setattr(asyncio, "run", run)

    def problems(self) -> list[str]:
        watch = self.watch
        found = list(watch.leaked_tasks)
        for loop, where in list(watch.loops.items()):
            if not loop.is_closed():
                found.append(f"event loop still open; made at:\n{where}")
            found += [f"task {describe_task(t)} pending on a loop made at:\n{where}" for t in pending_tasks(loop)]
        deadline = time.monotonic() + JOIN_GRACE
        threads = list(watch.threads.items())
        for thread, _ in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        found += [f"thread {t.name!r} (daemon={t.daemon}) still running; started at:\n{where}"
                  for t, where in threads if t.is_alive()]
        while (children := child_pids() - watch.children_before) and time.monotonic() < deadline:
            time.sleep(0.02)
        found += [_describe_child(pid) for pid in sorted(children)]
        return found


@pytest.fixture(autouse=True)
def no_leaks(request: pytest.FixtureRequest) -> Iterator[None]:
    marker = request.node.get_closest_marker("allow_leaks")
    if marker is not None:
        if not marker.kwargs.get("reason"):
            pytest.fail("allow_leaks needs reason=... (why this test may leave work behind)", pytrace=False)
        yield
        return
    guard = Guard()
    with pytest.MonkeyPatch.context() as patch:
        guard.install(patch)
        yield
    problems = guard.problems()
    if problems:
        pytest.fail("left behind by the test (mark allow_leaks(reason=...) to opt out):\n"
                    + "\n".join(problems), pytrace=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "allow_leaks(reason): the test may leave tasks, threads, processes or Qt timers behind")
