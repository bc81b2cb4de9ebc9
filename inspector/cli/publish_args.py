"""``realtime-inspector publish``: its options, and their values as one typed object."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from inspector.cli.common_args import ConnectArgs, Subparsers, TokenArgs, add_command, add_connect_args, add_token_args

NAME = "publish"
EPILOG = ("examples:\n"
          "  realtime-inspector publish ws://127.0.0.1:8765 --token dev orders.eu '{\"total\": 250}'\n")


def add_parser(sub: Subparsers) -> None:
    p = add_command(sub, NAME, "publish an event through a mock server's control channel", EPILOG)
    p.add_argument("url", help="the mock server's address (ws://HOST:PORT, any path)")
    add_token_args(p)
    p.add_argument("topic")
    p.add_argument("data", help="JSON value to publish (use - to read lines of JSON from stdin)")
    p.add_argument("--rate", type=float, metavar="PER_SECOND", help="publish the same data repeatedly at this rate")
    p.add_argument("--count", type=int, default=1)
    add_connect_args(p)


@dataclass(frozen=True)
class PublishArgs:
    url: str
    topic: str
    data: str
    rate: float | None
    count: int
    debug: bool
    tokens: TokenArgs
    connect: ConnectArgs

    @property
    def auth(self) -> str:
        return self.tokens.auth

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace) -> PublishArgs:
        return cls(url=ns.url, topic=ns.topic, data=ns.data, rate=ns.rate, count=ns.count, debug=ns.debug,
                   tokens=TokenArgs.from_namespace(ns), connect=ConnectArgs.from_namespace(ns))
