"""``realtime-inspector tail``: its options, and their values as one typed object."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from inspector.cli.common_args import (
    CONNECT_EPILOG,
    ConnectArgs,
    PayloadArgs,
    Subparsers,
    TokenArgs,
    add_command,
    add_connect_args,
    add_payload_args,
    add_token_args,
)

NAME = "tail"
EPILOG = ("examples:\n"
          "  realtime-inspector tail ws://127.0.0.1:8765/api/v2/realtime --token dev \\\n"
          "      --subscribe ticker --subscribe 'orders.eu=data.total > `100`' --json\n\n"
          "--json: one object per line, as replay --json prints (docs/json-output.md):\n"
          "  v (schema 1), t, conn, event (frame|state|subscription|rtt|pong_missed|\n"
          "  server_ping); frames carry dir, kind, topic, seq, size, summary, the exact\n"
          "  bytes as base64 in raw_b64, text (a text frame) and its text_value, and\n"
          "  body (decoded, as sent) or decode_error.\n"
          "exit status: 0 normal end (--count, --duration, Ctrl-C, server close 1000),\n"
          "  1 other stop, 2 usage error, 3 HTTP 401 on the upgrade, 4 closed with 1008,\n"
          "  5 no token / token expired and cannot be refreshed. A certificate or TLS\n"
          "  failure stops at once (no retry) with exit 1 and one line naming it.\n\n"
          + CONNECT_EPILOG)


def add_parser(sub: Subparsers) -> None:
    t = add_command(sub, NAME, "connect, subscribe and print every frame", EPILOG)
    t.add_argument("url")
    add_token_args(t)
    t.add_argument("--subscribe", action="append", default=[], metavar="TOPIC[=FILTER]")
    t.add_argument("--ping-every", type=float, metavar="SECONDS", help="send our own PINGs and report RTT")
    t.add_argument("--json", action="store_true", help="one JSON object per line (see below)")
    t.add_argument("--record", metavar="PATH", help="record the session: a session store folder PATH (made new; the "
                   "app, replay, mock --replay and export open it), or a .rirec file when PATH ends in .rirec")
    t.add_argument("--count", type=int, metavar="N", help="exit after N frames received")
    t.add_argument("--duration", type=float, metavar="SECONDS", help="exit after this long")
    add_payload_args(t)
    t.add_argument("--backoff-scale", type=float, default=1.0, metavar="F",
                   help="multiply the reconnect delays and the 10 s reset time by F (for check-client "
                   "--time-scale runs; default: 1)")
    add_connect_args(t)


@dataclass(frozen=True)
class TailArgs:
    url: str
    subscribe: tuple[str, ...]
    ping_every: float | None
    json: bool
    record: str | None
    count: int | None
    duration: float | None
    backoff_scale: float
    debug: bool
    tokens: TokenArgs
    connect: ConnectArgs
    payload: PayloadArgs

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace) -> TailArgs:
        return cls(url=ns.url, subscribe=tuple(ns.subscribe), ping_every=ns.ping_every, json=ns.json,
                   record=ns.record, count=ns.count, duration=ns.duration, backoff_scale=ns.backoff_scale,
                   debug=ns.debug, tokens=TokenArgs.from_namespace(ns), connect=ConnectArgs.from_namespace(ns),
                   payload=PayloadArgs.from_namespace(ns))
