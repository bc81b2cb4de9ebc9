"""``check-client``: run the user's client command against a fresh scripted server per case.

The client gets REALTIME_URL, REALTIME_TOKEN, REALTIME_CASE and REALTIME_TIME_SCALE in its
environment, and ``{url}``, ``{token}``, ``{case}`` and ``{scale}`` in its arguments are
replaced. Exit status 127 from the client means "case not supported": the case is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

from inspector.conformance.cases import Case, select
from inspector.conformance.client_cases import CASES, ClientCtx
from inspector.conformance.report import CaseResult, Report
from inspector.conformance.runner import RunOptions, run_all
from inspector.conformance.scripted import ScriptedServer
from inspector.conformance.traffic import HarnessError, Traffic

STOP_WAIT = 3.0  # seconds a client gets to end after SIGTERM before it is killed


def client_cases(only: list[str] | None = None, exclude: list[str] | None = None) -> list[Case]:
    return select(CASES, only, exclude or [])


class _ClientRun:
    """One case's server and client process; ``cleanup`` stops both."""

    def __init__(self, case_ids: list[str], command: list[str], scale: float, slow: bool, traffic: Traffic,
                 log_dir: Path | None):
        self.command, self.scale, self.traffic, self.log_dir = command, scale, traffic, log_dir
        self.server = ScriptedServer(traffic)
        self.ctx = ClientCtx(self.server, traffic, scale, slow)
        self.proc: asyncio.subprocess.Process | None = None
        self._waiter: asyncio.Task[None] | None = None
        self.token = f"check-{secrets.token_hex(8)}"

    async def start(self, case_id: str) -> None:
        await self.server.start()
        values = {"{url}": self.server.url, "{token}": self.token, "{case}": case_id, "{scale}": f"{self.scale:g}"}
        argv = []
        for arg in self.command:
            for key, value in values.items():
                arg = arg.replace(key, value)
            argv.append(arg)
        env = {**os.environ, "REALTIME_URL": self.server.url, "REALTIME_TOKEN": self.token,
               "REALTIME_CASE": case_id, "REALTIME_TIME_SCALE": f"{self.scale:g}"}
        out = asyncio.subprocess.DEVNULL
        log = None
        if self.log_dir is not None:
            from inspector.private_files import open_private
            log = open_private(self.log_dir / f"{case_id}.client.log", "wb")
        try:
            self.proc = await asyncio.create_subprocess_exec(*argv, env=env, stdin=asyncio.subprocess.DEVNULL,
                                                             stdout=log or out, stderr=log or out,
                                                             start_new_session=True)
        except OSError as exc:
            raise HarnessError(f"cannot start the client: {exc.strerror or exc}") from None
        finally:
            if log is not None:
                log.close()
        self._waiter = asyncio.create_task(self._wait())

    async def _wait(self) -> None:
        assert self.proc is not None
        self.ctx.exited = await self.proc.wait()
        self.server.changed.set()

    async def cleanup(self) -> None:
        proc = self.proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                async with asyncio.timeout(STOP_WAIT):
                    await proc.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
        if self._waiter is not None:
            await self._waiter
        await self.server.stop()


async def check_client(command: list[str], cases: list[Case], opts: RunOptions, *, scale: float = 1.0,
                       progress: Callable[[CaseResult, int, int], None] | None = None) -> Report:
    runs: dict[int, _ClientRun] = {}

    def make_ctx(traffic: Traffic) -> _Ctx:
        run = _ClientRun([], command, scale, opts.slow, traffic, opts.artifacts)
        runs[id(traffic)] = run
        return _Ctx(run)

    wrapped = [Case(c.id, c.title, c.rules, _starting(c), c.needs) for c in cases]
    return await run_all("check-client", " ".join(command), wrapped, make_ctx, opts, progress)


class _Ctx:
    def __init__(self, run: _ClientRun):
        self.run = run

    async def cleanup(self) -> None:
        await self.run.cleanup()


def _starting(case: Case) -> Callable[[_Ctx], Awaitable[str | None]]:
    async def run(ctx: _Ctx) -> str | None:
        await ctx.run.start(case.id)
        return await case.run(ctx.run.ctx)
    return run
