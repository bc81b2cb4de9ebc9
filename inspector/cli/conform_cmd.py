"""``realtime-inspector conform URL``: check a server against the protocol, rule by rule.

Exit status: 0 nothing failed, 1 a case failed (with --strict also a SHOULD not met),
2 usage error, a server that cannot be reached, or a case the harness could not run.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from inspector.cli.conform_args import CaseArgs, ConformArgs
from inspector.cli.errors import CliError
from inspector.conformance.cases import Case, read_exclude_file, unknown_patterns
from inspector.conformance.report import CaseResult, Outcome, Report, result_line, write_json, write_junit
from inspector.conformance.rules import all_rules
from inspector.conformance.runner import UNREACHABLE, RunOptions, why_not


def patterns(args: CaseArgs) -> tuple[list[str], list[str]]:
    only = [p.strip() for spec in args.cases for p in spec.split(",") if p.strip()]
    exclude = [p.strip() for spec in args.exclude for p in spec.split(",") if p.strip()]
    if args.exclude_file:
        try:
            exclude += read_exclude_file(Path(args.exclude_file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            why = getattr(exc, "strerror", None) or exc
            raise CliError(f"--exclude-file: cannot read {args.exclude_file}: {why}") from None
    return only, exclude


def check_patterns(cases: list[Case], only: list[str], exclude: list[str]) -> None:
    unknown = unknown_patterns(cases, only + exclude)
    if unknown:
        raise CliError(f"no case or rule matches {unknown[0]!r} (see --list)")


def print_list(cases: list[Case], opts: RunOptions) -> None:
    rules = all_rules()
    for c in cases:
        why = why_not(c, opts)
        flags = f"  [{', '.join(sorted(c.needs))}]" if c.needs else ""
        print(f"{c.id:<26} {c.title}{flags}")
        for r in c.rules:
            rule = rules[r]
            print(f"    {r:<13} {rule.level:<6} {rule.source_name:<16} {rule.text[:90]}")
        if why and not c.needs:
            print(f"    ({why})")


def run_options(args: CaseArgs, only: list[str]) -> RunOptions:
    artifacts = Path(args.artifacts) if args.artifacts else None
    if artifacts is not None:
        from inspector.private_files import make_private_dir
        try:
            make_private_dir(artifacts)
        except OSError as exc:
            raise CliError(f"--artifacts: cannot create {artifacts}: {exc.strerror or exc}") from None
    from inspector.logstore.store_recorder import write_case  # a failed case's traffic as a session folder
    return RunOptions(slow=args.slow, strict=args.strict, artifacts=artifacts, opted_in=frozenset(only),
                      record=write_case)


def finish(report: Report, args: CaseArgs) -> int:
    print(report.summary() + ("" if not report.strict else " (strict)"))
    try:
        if args.junit:
            write_junit(report, args.junit)
        if args.json_file:
            write_json(report, args.json_file)
    except OSError as exc:
        raise CliError(f"cannot write the report: {exc.strerror or exc}") from None
    return report.exit_code()


def progress(result: CaseResult, i: int, n: int) -> None:
    if result.outcome is Outcome.SKIPPED and result.message == UNREACHABLE:
        return  # said once, by the summary
    print(result_line(result), flush=True)


def run_conform(args: ConformArgs) -> int:
    from inspector.cli.connect_setup import connect_options, token_source, warn_cleartext, warn_insecure
    from inspector.client.tls import TlsSetupError, client_context
    from inspector.client.tokens import TokenError
    from inspector.conformance.conform import conform, server_cases
    from inspector.conformance.publish import CommandPublisher, ControlPublisher, Publisher
    from inspector.redact import redact_url

    only, exclude = patterns(args.selection)
    every = server_cases()
    check_patterns(every, only, exclude)
    cases = server_cases(only, exclude)
    opts = run_options(args.selection, only)
    if args.selection.list:
        opts.publish = bool(args.control or args.publish_command)
        print_list(cases, opts)
        return 0
    if not args.url:
        raise CliError("a URL is needed (or --list)")
    if args.time_scale <= 0:
        raise CliError("--time-scale must be positive")
    url = args.url
    source = token_source(args.tokens)
    options = connect_options(args.connect, args.tokens)
    warn_cleartext(url)
    warn_insecure(options)
    tls = None
    if url.startswith("wss:") or (args.control or "").startswith("wss:"):
        try:
            tls = client_context(options)
        except TlsSetupError as exc:
            raise CliError(str(exc)) from None

    async def main() -> Report:
        try:
            token = await source.fetch()
        except TokenError as exc:
            raise CliError(str(exc)) from None
        publisher: Publisher | None = None
        if args.control:
            publisher = ControlPublisher(args.control, token, tls)
        elif args.publish_command:
            publisher = CommandPublisher(args.publish_command)
        print(f"conform {redact_url(url)}: {len(cases)} cases", flush=True)
        return await conform(url, token, cases, opts, auth=args.tokens.auth, tls=tls, headers=options.headers,
                             publisher=publisher, scale=args.time_scale, timeout=args.answer_timeout,
                             progress=progress)

    report = asyncio.run(main())
    return finish(report, args.selection)
