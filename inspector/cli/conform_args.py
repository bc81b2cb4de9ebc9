"""``realtime-inspector conform``: its options, and their values as one typed object; also the
case selection and report options it shares with check-client."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from inspector.cli.common_args import ConnectArgs, Subparsers, TokenArgs, add_command, add_connect_args, add_token_args

NAME = "conform"
EPILOG = ("examples:\n"
          "  realtime-inspector conform ws://127.0.0.1:8765/api/v2/realtime --token dev \\\n"
          "      --control ws://127.0.0.1:8765/mock/control --junit conform.xml --artifacts out/\n"
          "  realtime-inspector conform --list\n\n"
          "exit status: 0 nothing failed, 1 a case failed (--strict: or a SHOULD was not met),\n"
          "  2 usage error or a case the harness could not run (docs/conformance.md)\n")


def add_case_args(p: argparse.ArgumentParser) -> None:
    """The options conform and check-client share."""
    p.add_argument("--list", action="store_true", help="list the cases and the rules they check, then exit")
    p.add_argument("--cases", action="append", default=[], metavar="IDS",
                   help="run only these cases (case or rule ids, comma-separated, globs allowed; repeatable)")
    p.add_argument("--exclude", action="append", default=[], metavar="ID",
                   help="leave out this case or rule id (glob allowed; repeatable)")
    p.add_argument("--exclude-file", metavar="FILE", help="leave out the ids listed in FILE (one a line, # comments)")
    p.add_argument("--strict", action="store_true", help="a SHOULD not met (non-strict) counts as a failure")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report to FILE")
    p.add_argument("--json", metavar="FILE", dest="json_file", help="write a JSON report to FILE")
    p.add_argument("--artifacts", metavar="DIR", help="write each failing case's traffic into DIR: a session store "
                   "folder named by the case (replay, mock --replay, export and the app open it) and a HAR file")
    p.add_argument("--slow", action="store_true", help="also run the cases that wait on long timers")


@dataclass(frozen=True)
class CaseArgs:
    """Which cases run, how strictly, and where the reports go."""

    list: bool
    cases: tuple[str, ...]
    exclude: tuple[str, ...]
    exclude_file: str | None
    strict: bool
    junit: str | None
    json_file: str | None
    artifacts: str | None
    slow: bool

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace) -> CaseArgs:
        return cls(list=ns.list, cases=tuple(ns.cases), exclude=tuple(ns.exclude), exclude_file=ns.exclude_file,
                   strict=ns.strict, junit=ns.junit, json_file=ns.json_file, artifacts=ns.artifacts, slow=ns.slow)


def add_parser(sub: Subparsers) -> None:
    c = add_command(sub, NAME, "check a server against the protocol, rule by rule", EPILOG)
    c.add_argument("url", nargs="?", help="the server's realtime URL (ws:// or wss://)")
    add_case_args(c)
    pub = c.add_mutually_exclusive_group()
    pub.add_argument("--control", metavar="URL", help="publish through this mock control channel "
                     "(ws://HOST:PORT/mock/control): runs the filter and seq cases")
    pub.add_argument("--publish-command", metavar="CMD",
                     help="publish by running CMD ({topic} and {data} are filled in, shell-quoted; also in "
                     "REALTIME_TOPIC / REALTIME_DATA); exit 0 = published")
    c.add_argument("--time-scale", type=float, default=1.0, metavar="F",
                   help="with --slow: the server's timers are the protocol's times F (e.g. 0.01 for a mock "
                   "started with --ping-interval 0.3 --pong-timeout 0.1 --idle-timeout 0.6)")
    c.add_argument("--answer-timeout", type=float, default=3.0, metavar="SECONDS",
                   help="how long an expected answer may take (default: %(default)s)")
    add_token_args(c)
    add_connect_args(c)


@dataclass(frozen=True)
class ConformArgs:
    url: str | None
    control: str | None
    publish_command: str | None
    time_scale: float
    answer_timeout: float
    selection: CaseArgs
    tokens: TokenArgs
    connect: ConnectArgs

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace) -> ConformArgs:
        return cls(url=ns.url, control=ns.control, publish_command=ns.publish_command, time_scale=ns.time_scale,
                   answer_timeout=ns.answer_timeout, selection=CaseArgs.from_namespace(ns),
                   tokens=TokenArgs.from_namespace(ns), connect=ConnectArgs.from_namespace(ns))
