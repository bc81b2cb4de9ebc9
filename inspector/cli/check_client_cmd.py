"""``realtime-inspector check-client -- CMD ...``: check a client against the protocol, case by case.

Exit status as for conform: 0 nothing failed, 1 a case failed, 2 usage or harness error.
"""

from __future__ import annotations

import asyncio

from inspector.cli.check_client_args import CheckClientArgs
from inspector.cli.conform_cmd import (
    check_patterns,
    finish,
    patterns,
    print_list,
    progress,
    run_options,
)
from inspector.cli.errors import CliError


def run_check_client(args: CheckClientArgs) -> int:
    from inspector.conformance.check_client import check_client, client_cases

    only, exclude = patterns(args.selection)
    every = client_cases()
    check_patterns(every, only, exclude)
    cases = client_cases(only, exclude)
    opts = run_options(args.selection, only)
    if args.selection.list:
        print_list(cases, opts)
        return 0
    command = list(args.client_command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise CliError("give the client command after --, e.g. check-client -- my-client {url} --token {token}")
    if args.time_scale <= 0:
        raise CliError("--time-scale must be positive")
    print(f"check-client {' '.join(command)}: {len(cases)} cases", flush=True)
    report = asyncio.run(check_client(command, cases, opts, scale=args.time_scale, progress=progress))
    return finish(report, args.selection)
