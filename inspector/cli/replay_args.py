"""``realtime-inspector replay``: its options, and their values as one typed object."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from inspector.cli.common_args import PayloadArgs, Subparsers, add_command, add_payload_args

NAME = "replay"
EPILOG = ("FILE: a session store folder (tail --record DIR, the app's sessions), a .rirec\n"
          "recording, a HAR file or a pcapng capture.\n\n"
          "examples:\n  realtime-inspector replay session.rirec --json\n"
          "  realtime-inspector replay capture.har --speed 0\n"
          "  realtime-inspector replay session.rirec --pcapng session.pcapng   # open in Wireshark\n"
          "  realtime-inspector replay dumpcap-output.pcapng\n"
          "  realtime-inspector replay session-folder --har session.har\n\n"
          "--json: the lines tail --json printed for the session (docs/json-output.md)\n")


def add_parser(sub: Subparsers) -> None:
    r = add_command(sub, NAME, "print a session, recording, HAR or capture, decoded", EPILOG)
    r.add_argument("file")
    r.add_argument("--json", action="store_true", help="one JSON object per line, as tail --json")
    r.add_argument("--speed", type=float, default=0.0,
                   help="pace output at the recorded timing scaled by X (0 = as fast as possible, default)")
    add_payload_args(r)
    out = r.add_mutually_exclusive_group()
    out.add_argument("--pcapng", metavar="OUT", help="write FILE as a pcapng capture to OUT instead of printing "
                     "(open it in Wireshark with: realtime-inspector wireshark --install)")
    out.add_argument("--har", metavar="OUT", help="write FILE as a HAR file to OUT instead of printing")


@dataclass(frozen=True)
class ReplayArgs:
    """The defaults are the command line's: ``ReplayArgs(file)`` prints FILE as plain text."""

    file: str
    json: bool = False
    speed: float = 0.0
    payload: PayloadArgs = field(default_factory=PayloadArgs)
    pcapng: str | None = None
    har: str | None = None

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace) -> ReplayArgs:
        return cls(file=ns.file, json=ns.json, speed=ns.speed, payload=PayloadArgs.from_namespace(ns),
                   pcapng=ns.pcapng, har=ns.har)
