"""``conform``: run the server cases against one URL (used by the CLI and the desktop app)."""

from __future__ import annotations

import ssl
from collections.abc import Callable

from inspector.conformance.cases import Case, select
from inspector.conformance.probe import Target
from inspector.conformance.publish import Publisher
from inspector.conformance.reach import unreachable
from inspector.conformance.report import CaseResult, Report
from inspector.conformance.runner import RunOptions, run_all
from inspector.conformance.server_cases import CASES
from inspector.conformance.server_ctx import ServerCtx, new_run_id
from inspector.conformance.traffic import Traffic
from inspector.redact import redact_url, scrub


def server_cases(only: list[str] | None = None, exclude: list[str] | None = None) -> list[Case]:
    return select(CASES, only, exclude or [])


async def conform(url: str, token: str, cases: list[Case], opts: RunOptions, *, auth: str = "header",
                  tls: ssl.SSLContext | None = None, headers: tuple[tuple[str, str], ...] = (),
                  publisher: Publisher | None = None, scale: float = 1.0, timeout: float = 3.0,
                  progress: Callable[[CaseResult, int, int], None] | None = None) -> Report:
    target = Target(url, token, auth, tls, headers, timeout)
    run_id = new_run_id()
    opts.publish = publisher is not None
    opts.url = url
    opts.secrets = (*opts.secrets, token)

    def make_ctx(traffic: Traffic) -> ServerCtx:
        return ServerCtx(target, traffic, publisher, scale, run_id)

    try:
        # a dead port is said once, not by every case: each is skipped with that reason
        reason = await unreachable(url, tls)
        opts.unreachable = scrub(reason, token) if reason else None
        return await run_all("conform", redact_url(url), cases, make_ctx, opts, progress)
    finally:
        if publisher is not None:
            await publisher.close()
