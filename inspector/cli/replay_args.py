"""``realtime-inspector replay``: its options, and their values as one typed object."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from inspector.cli.common_args import PayloadArgs, Subparsers, add_command, add_payload_args

NAME = "replay"
EPILOG = ("examples:\n  realtime-inspector replay session.rirec --json\n"
          "  realtime-inspector replay capture.har --speed 0\n"
          "  realtime-inspector replay session.rirec --pcapng session.pcapng   # open in Wireshark\n"
          "  realtime-inspector replay dumpcap-output.pcapng\n\n"
          "--json: the lines tail --json printed for the session (docs/json-output.md)\n")


def add_parser(sub: Subparsers) -> None:
    r = add_command(sub, NAME, "print a recording or HAR file, decoded", EPILOG)
    r.add_argument("file")
    r.add_argument("--json", action="store_true", help="one JSON object per line, as tail --json")
    r.add_argument("--speed", type=float, default=0.0,
                   help="pace output at the recorded timing scaled by X (0 = as fast as possible, default)")
    add_payload_args(r)
    r.add_argument("--pcapng", metavar="OUT", help="write FILE as a pcapng capture to OUT instead of printing "
                   "(open it in Wireshark with: realtime-inspector wireshark --install)")


@dataclass(frozen=True)
class ReplayArgs:
    """The defaults are the command line's: ``ReplayArgs(file)`` prints FILE as plain text."""

    file: str
    json: bool = False
    speed: float = 0.0
    payload: PayloadArgs = field(default_factory=PayloadArgs)
    pcapng: str | None = None

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace) -> ReplayArgs:
        return cls(file=ns.file, json=ns.json, speed=ns.speed, payload=PayloadArgs.from_namespace(ns),
                   pcapng=ns.pcapng)
