"""Run cases one after the other, each with its own Traffic; turn each ending into a CaseResult."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspector.conformance.cases import OPT_IN, PUBLISH, SLOW, Case, CaseCtx
from inspector.conformance.harness_text import harness_failure
from inspector.conformance.report import CaseResult, Outcome, Report
from inspector.conformance.rules import all_rules
from inspector.conformance.traffic import CaseFailed, CaseInfo, CaseSkipped, HarnessError, RecordTraffic, Traffic
from inspector.redact import scrub

log = logging.getLogger("inspector.conformance")

CASE_TIMEOUT = 30.0  # seconds a fast case may take in all; slow ones get their own bound

# What to do about a case not run, in the words of the command line; the app gives its own.
CLI_HINTS = {
    SLOW: "run with --slow",
    PUBLISH: "give --control URL (a mock's control channel) or --publish-command CMD",
    OPT_IN: "name it with --cases {case}",
}


@dataclass
class RunOptions:
    slow: bool = False
    publish: bool = False  # a publisher is available
    opted_in: frozenset[str] = frozenset()  # case ids named explicitly
    strict: bool = False
    artifacts: Path | None = None
    case_timeout: float = CASE_TIMEOUT
    slow_timeout: float = 300.0
    profile: str = "conform"
    url: str = ""  # for the artifacts' header (written without credentials)
    record: RecordTraffic | None = None  # how a failed case's recording is written (default: .rirec)
    secrets: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    hints: dict[str, str] = field(default_factory=lambda: dict(CLI_HINTS))
    unreachable: str | None = None  # why the server cannot be reached: every case is skipped with it


UNREACHABLE = "the server cannot be reached"


def why_not(case: Case, opts: RunOptions) -> str | None:
    if opts.unreachable:
        return UNREACHABLE
    if SLOW in case.needs and not opts.slow:
        return _with_hint("slow case (waits on the protocol's long timers)", SLOW, case, opts)
    if PUBLISH in case.needs and not opts.publish:
        return _with_hint("needs a way to publish", PUBLISH, case, opts)
    if OPT_IN in case.needs and case.id not in opts.opted_in:
        return _with_hint("opt-in", OPT_IN, case, opts)
    return None


def _with_hint(reason: str, need: str, case: Case, opts: RunOptions) -> str:
    hint = opts.hints.get(need, "")
    return f"{reason}: {hint.format(case=case.id)}" if hint else reason


async def run_case(case: Case, make_ctx: Callable[[Traffic], CaseCtx], opts: RunOptions) -> CaseResult:
    result = CaseResult(case.id, case.title, case.rules, Outcome.PASS)
    skip = why_not(case, opts)
    if skip:
        result.outcome, result.message = Outcome.SKIPPED, skip
        return result
    traffic = Traffic()
    ctx = make_ctx(traffic)
    started = time.monotonic()
    timeout = opts.slow_timeout if SLOW in case.needs else opts.case_timeout
    try:
        try:
            note = await asyncio.wait_for(case.run(ctx), timeout)
        finally:
            await ctx.cleanup()
        result.message = note or ""
    except CaseFailed as exc:
        level = all_rules()[exc.rule].level if exc.rule in all_rules() else "MUST"
        result.outcome = Outcome.NON_STRICT if level == "SHOULD" else Outcome.FAIL
        result.message = f"{exc.rule}: {exc.message}"
        result.expected, result.actual, result.frame = exc.expected, exc.actual, exc.frame
    except CaseSkipped as exc:
        result.outcome, result.message = Outcome.SKIPPED, str(exc)
    except CaseInfo as exc:
        result.outcome, result.message = Outcome.INFO, str(exc)
    except HarnessError as exc:
        result.outcome, result.message = Outcome.ERROR, str(exc)
    except TimeoutError:
        result.outcome, result.message = Outcome.ERROR, f"the case did not finish within {timeout:g} s"
    except Exception as exc:
        log.debug("case %s failed in the harness", case.id, exc_info=True)
        result.outcome, result.message = Outcome.ERROR, harness_failure(exc)
    result.duration = time.monotonic() - started
    result.message = scrub(result.message, *opts.secrets)
    result.actual = scrub(result.actual, *opts.secrets)
    if result.outcome in (Outcome.FAIL, Outcome.NON_STRICT, Outcome.ERROR) and opts.artifacts and traffic.events:
        result.artifact, result.har = traffic.write(opts.artifacts, case.id, opts.url, opts.profile,
                                                      opts.record)
    return result


async def run_all(suite: str, target: str, cases: list[Case], make_ctx: Callable[[Traffic], CaseCtx], opts: RunOptions,
                  progress: Callable[[CaseResult, int, int], None] | None = None) -> Report:
    report = Report(suite, target, strict=opts.strict, unreachable=opts.unreachable)
    started = time.monotonic()
    for i, case in enumerate(cases):
        result = await run_case(case, make_ctx, opts)
        report.results.append(result)
        if progress is not None:
            progress(result, i + 1, len(cases))
    report.duration = time.monotonic() - started
    return report
