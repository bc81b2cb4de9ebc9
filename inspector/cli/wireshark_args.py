"""``realtime-inspector wireshark``: its options, and their values as one typed object."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from inspector.cli.common_args import Subparsers, add_command

NAME = "wireshark"
EPILOG = ("examples:\n  realtime-inspector wireshark --install\n"
          "  tshark -X lua_script:$(realtime-inspector wireshark --print-path) -r session.pcapng "
          "-Y 'rtapi.kind == 0x10'\n")


def add_parser(sub: Subparsers) -> None:
    w = add_command(sub, NAME, "the Wireshark dissector: where it is, install it", EPILOG)
    w.add_argument("--install", action="store_true", help="copy the dissector into Wireshark's personal "
                   "Lua plugin folder")
    w.add_argument("--print-path", action="store_true", help="print the path of the dissector file")
    w.add_argument("--plugin-dir", metavar="DIR", help="with --install: this folder instead of the one "
                   "tshark -G folders names")


@dataclass(frozen=True)
class WiresharkArgs:
    install: bool
    print_path: bool
    plugin_dir: str | None

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace) -> WiresharkArgs:
        return cls(install=ns.install, print_path=ns.print_path, plugin_dir=ns.plugin_dir)
