"""Run third-party code (decoders) where it cannot hang or crash its caller.

Jobs run one at a time on a daemon thread. A job still running after ``timeout`` is
given up: its caller gets a TimeoutError and later jobs go to a fresh thread, so a decoder
stuck in a loop costs one idle thread, never the app or the tail.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

_STOP = object()


class _Job:
    __slots__ = ("args", "done", "error", "fn", "result")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]):
        self.fn, self.args = fn, args
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


def _serve(jobs: queue.SimpleQueue[Any]) -> None:
    while True:
        job = jobs.get()
        if job is _STOP:
            return
        try:
            job.result = job.fn(*job.args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, whatever it is
            job.error = exc
        job.done.set()


class Guard:
    def __init__(self, timeout: float = 2.0, name: str = "payload-decoder"):
        self.timeout = timeout
        self.name = name
        self.abandoned = 0  # threads given up on (stuck in a job)
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[Any] | None = None

    def _queue(self) -> queue.SimpleQueue[Any]:
        if self._jobs is None:
            self._jobs = queue.SimpleQueue()
            threading.Thread(target=_serve, args=(self._jobs,), name=self.name, daemon=True).start()
        return self._jobs

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on the worker; its exception re-raised; TimeoutError when it takes too long."""
        with self._lock:  # one job at a time: a timeout then abandons exactly the thread running it
            job = _Job(fn, args)
            self._queue().put(job)
            if not job.done.wait(self.timeout):
                assert self._jobs is not None
                self._jobs.put(_STOP)  # that thread ends if its job ever does
                self._jobs = None  # the next job starts a new one
                self.abandoned += 1
                raise TimeoutError(f"gave no answer within {self.timeout:g} s")
            if job.error is not None:
                raise job.error
            return job.result

    def close(self) -> None:
        with self._lock:
            if self._jobs is not None:
                self._jobs.put(_STOP)
                self._jobs = None
