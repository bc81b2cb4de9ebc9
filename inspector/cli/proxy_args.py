"""``realtime-inspector proxy``: its options, and their values as one typed object."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from inspector.cli.common_args import CONNECT_EPILOG, ConnectArgs, Subparsers, add_command, add_connect_args

NAME = "proxy"
EPILOG = ("examples:\n"
          "  realtime-inspector proxy --listen 127.0.0.1:9000 --upstream wss://staging.example/api/v2/realtime\n"
          "  realtime-inspector proxy --upstream ws://127.0.0.1:8765 --json \\\n"
          "      --rule 'dir=s2c kind=EVENT topic=orders.* every=3 -> drop'\n"
          "  realtime-inspector proxy --upstream ws://127.0.0.1:8765 --rules faults.toml --record both.rirec\n\n"
          "Clients connect to --listen with the path, query (token too) and headers they would send\n"
          "the server; each gets its own upstream connection. Rules and recipes: docs/proxy.md.\n"
          "--json: one line per frame in the tail --json schema, plus direction (c2s|s2c),\n"
          "  client and upstream (the pair), opcode, and fin/rsv when set.\n\n"
          "upstream " + CONNECT_EPILOG)


def add_parser(sub: Subparsers) -> None:
    p = add_command(sub, NAME, "stand between a client and a server: show both sides, break things on purpose",
                    EPILOG)
    p.add_argument("--listen", default="127.0.0.1:9000", metavar="HOST:PORT",
                   help="where clients connect (default: %(default)s; port 0 picks a free one)")
    p.add_argument("--upstream", required=True, metavar="URL", help="the server: ws://host[:port] or wss://...")
    p.add_argument("--json", action="store_true", help="one JSON object per frame (see below)")
    p.add_argument("--quiet", action="store_true", help="print no frames (only the listening line and errors)")
    p.add_argument("--strict", action="store_true",
                   help="close a side that breaks RFC 6455 with the code its peer would send "
                   "(default: show the violation and forward the frame as is)")
    p.add_argument("--rule", action="append", dest="rules", default=[], metavar="RULE",
                   help="'MATCH -> ACTION' (repeatable), e.g. 'dir=s2c kind=PONG -> drop'")
    p.add_argument("--rules", dest="rules_file", metavar="FILE", help="rules from a TOML or JSON file")
    p.add_argument("--record", metavar="FILE", help="record both sides of every pair to FILE")
    p.add_argument("--control", metavar="HOST:PORT",
                   help="serve the control API (connections, rules, inject, close, and Toxiproxy's /proxies API) "
                   "here, e.g. 127.0.0.1:8474")
    p.add_argument("--control-token", metavar="TOKEN",
                   help="require 'Authorization: Bearer TOKEN' on the control API (needed off loopback)")
    p.add_argument("--max-frame", type=int, default=64 * 2**20, metavar="BYTES",
                   help="the largest frame the proxy holds (default: %(default)s)")
    t = p.add_argument_group("TLS for the listener (clients connect with wss://)")
    tls = t.add_mutually_exclusive_group()
    tls.add_argument("--tls-self-signed", action="store_true",
                     help="a throwaway certificate for 127.0.0.1/localhost; prints its CA file")
    tls.add_argument("--tls-cert", metavar="FILE", help="the listener's certificate (PEM, chain first)")
    t.add_argument("--tls-key", metavar="FILE", help="its private key (PEM)")
    add_connect_args(p)


@dataclass(frozen=True)
class ProxyArgs:
    listen: str
    upstream: str
    json: bool
    quiet: bool
    strict: bool
    rules: tuple[str, ...]
    rules_file: str | None
    record: str | None
    max_frame: int
    control: str | None
    control_token: str | None = field(repr=False)  # never in a repr
    tls_self_signed: bool
    tls_cert: str | None
    tls_key: str | None
    debug: bool
    connect: ConnectArgs

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace) -> ProxyArgs:
        return cls(listen=ns.listen, upstream=ns.upstream, json=ns.json, quiet=ns.quiet, strict=ns.strict,
                   rules=tuple(ns.rules), rules_file=ns.rules_file, record=ns.record, max_frame=ns.max_frame,
                   control=ns.control, control_token=ns.control_token,
                   tls_self_signed=ns.tls_self_signed, tls_cert=ns.tls_cert, tls_key=ns.tls_key, debug=ns.debug,
                   connect=ConnectArgs.from_namespace(ns))
