"""``realtime-inspector check-client``: its options, and their values as one typed object."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from inspector.cli.common_args import Subparsers, add_command
from inspector.cli.conform_args import CaseArgs, add_case_args

NAME = "check-client"
EPILOG = ("examples:\n"
          "  realtime-inspector check-client -- my-client --url {url} --token {token}\n"
          "  realtime-inspector check-client --time-scale 0.1 -- realtime-inspector tail {url} \\\n"
          "      --token {token} --subscribe orders.eu --backoff-scale {scale}\n\n"
          "The client also gets REALTIME_URL, REALTIME_TOKEN, REALTIME_CASE and REALTIME_TIME_SCALE;\n"
          "exit status 127 from it skips the case. Exit status as for conform.\n")


def add_parser(sub: Subparsers) -> None:
    cc = add_command(sub, NAME, "check a client against the protocol, case by case", EPILOG)
    add_case_args(cc)
    cc.add_argument("--time-scale", type=float, default=1.0, metavar="F",
                    help="the client's timers are the protocol's times F (it gets F as {scale} and "
                    "REALTIME_TIME_SCALE); windows and watch times are scaled to match (default: 1)")
    cc.add_argument("client_command", nargs=argparse.REMAINDER, metavar="-- CMD ...",
                    help="the client to check; {url}, {token}, {case} and {scale} are filled in")


@dataclass(frozen=True)
class CheckClientArgs:
    time_scale: float
    client_command: tuple[str, ...]
    selection: CaseArgs

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace) -> CheckClientArgs:
        return cls(time_scale=ns.time_scale, client_command=tuple(ns.client_command),
                   selection=CaseArgs.from_namespace(ns))
