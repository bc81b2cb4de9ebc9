"""Command line: ``realtime-inspector [SUBCOMMAND] ...`` (SUBCOMMANDS below); none starts the app.

Without a subcommand it starts the desktop app. Each subcommand declares its options in
``<name>_args.py`` (light: every parser is built for ``--help``) and does its work in
``<name>_cmd.py``, imported only when it runs; this file assembles the parser, hands the
chosen command its typed arguments, and reports errors as one line. Starting the app
(no subcommand, no --help) reads none of the ``<name>_args`` modules: the window paints sooner.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from typing import TYPE_CHECKING, NoReturn

from inspector import __version__
from inspector.cli.errors import CliError
from inspector.logstore.disk_budget import parse_size

if TYPE_CHECKING:
    from inspector.cli import replay_args
    from inspector.cli.common_args import CommandArgs


class _Parser(argparse.ArgumentParser):
    """Usage errors echo arguments, and an argument may be a token: scrub them like any message."""

    def error(self, message: str) -> NoReturn:
        from inspector.redact import scrub
        self.print_usage(sys.stderr)
        self.exit(2, scrub(f"{self.prog}: error: {message}\n"))


# The subcommands, in the order of the command list in --help; each declares its options in
# ``<name>_args.py`` (``-`` as ``_``), whose NAME is the name here (tests/cli/test_typed_args.py).
# Named here, a command's line reads the one module it runs, not every command's (their typed
# arguments' dataclasses cost more to make than the rest of a ``--help``).
SUBCOMMANDS = ("mock", "tail", "replay", "conform", "check-client", "publish", "wireshark", "load", "proxy",
               "export")


def command_module(name: str) -> CommandArgs:
    """The declarations of subcommand ``name`` (one of SUBCOMMANDS)."""
    module: CommandArgs = importlib.import_module(f"inspector.cli.{name.replace('-', '_')}_args")
    return module


def command_modules() -> tuple[CommandArgs, ...]:
    """Every subcommand's declarations, in the order of the command list in --help."""
    return tuple(command_module(name) for name in SUBCOMMANDS)


def subcommands() -> tuple[str, ...]:
    return SUBCOMMANDS


def build_parser(open_file: bool = True, commands: bool = True, only: str | None = None) -> argparse.ArgumentParser:
    """An optional FILE next to subcommands confuses argparse (``tail URL`` would parse
    as FILE=tail, COMMAND=URL; ``app.rirec`` as COMMAND), so main() builds the parser
    with only the one the first positional argument calls for. ``only``: of the subcommands,
    only that one's parser (a command's line, its --help included, needs no other)."""
    parser = _Parser(
        prog="realtime-inspector",
        description="Inspector and debugging console for the Realtime WebSocket API. "
        "Without a subcommand, opens the desktop app on the embedded mock server.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  realtime-inspector                      # desktop app, live demo traffic\n"
        "  realtime-inspector mock --demo --port 8765\n"
        "  realtime-inspector tail ws://127.0.0.1:8765/api/v2/realtime --token-env RT_TOKEN \\\n"
        "      --subscribe 'orders.eu=data.total > `100`'\n",
    )
    parser.add_argument("--version", action="version", version=f"realtime-inspector {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("--self-test", action="store_true",
                        help="start the app on the embedded mock, check frames and latency arrive, exit; "
                        "with FILE: open it, wait until its last frame is shown, print how many, exit")
    parser.add_argument("--screenshot", metavar="PATH", help="with --self-test: save a PNG of the main window")
    parser.add_argument("--store-budget", metavar="SIZE", type=parse_size,
                        help="disk budget for the sessions not kept, e.g. 2G (default: Preferences, else 2G)")
    if open_file:
        parser.add_argument("open_file", nargs="?", metavar="FILE", help="a recording or HAR file to open in the app")
    if not commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (command_module(only),) if only is not None else command_modules():
        command.add_parser(sub)
    return parser


# What the first window needs that does not use Qt, imported before PySide6 is: PySide6's import
# hook reads the source of every module imported after it, looking for its feature switches.
_QT_FREE_FIRST = ("inspector.logstore.query", "inspector.protocol.states", "inspector.protocol.kinds",
                  "inspector.profiles", "inspector.private_files", "inspector.redact", "inspector.lazy_module",
                  "platformdirs", "queue", "array")


def _dispatch(args: argparse.Namespace) -> int:
    """The chosen command's typed arguments, to its run function (imported only now)."""
    command: str | None = args.command
    if command is not None:
        return _dispatch_command(command, args)
    import gc
    # start-up makes what lives as long as the app: the cyclic collector would walk it again and
    # again on the way to the first frame; the app resumes it (that all frozen) once a frame shows
    gc.disable()
    for name in _QT_FREE_FIRST:
        importlib.import_module(name)
    from inspector.qt.app import AppOptions, run_app
    return run_app(AppOptions.from_namespace(args))


def _dispatch_command(command: str, args: argparse.Namespace) -> int:
    """A subcommand: its typed arguments, to its run function (both imported only now)."""
    if command == "mock":
        from inspector.cli.mock_args import MockArgs
        from inspector.cli.mock_cmd import run_mock
        return run_mock(MockArgs.from_namespace(args))
    if command == "tail":
        from inspector.cli.tail_args import TailArgs
        from inspector.cli.tail_cmd import run_tail
        return run_tail(TailArgs.from_namespace(args))
    if command == "publish":
        from inspector.cli.publish_args import PublishArgs
        from inspector.cli.tail_cmd import run_publish
        return run_publish(PublishArgs.from_namespace(args))
    if command == "replay":
        from inspector.cli.replay_args import ReplayArgs
        return _replay(ReplayArgs.from_namespace(args))
    if command == "wireshark":
        from inspector.cli.wireshark_args import WiresharkArgs
        from inspector.cli.wireshark_cmd import run_wireshark
        return run_wireshark(WiresharkArgs.from_namespace(args))
    if command == "conform":
        from inspector.cli.conform_args import ConformArgs
        from inspector.cli.conform_cmd import run_conform
        return run_conform(ConformArgs.from_namespace(args))
    if command == "check-client":
        from inspector.cli.check_client_args import CheckClientArgs
        from inspector.cli.check_client_cmd import run_check_client
        return run_check_client(CheckClientArgs.from_namespace(args))
    if command == "export":
        from inspector.cli.export_args import ExportArgs
        from inspector.cli.export_cmd import run_export
        return run_export(ExportArgs.from_namespace(args))
    if command == "load":
        from inspector.cli.load_args import LoadArgs
        from inspector.cli.load_cmd import run_load
        return run_load(LoadArgs.from_namespace(args))
    if command == "proxy":
        from inspector.cli.proxy_args import ProxyArgs
        from inspector.cli.proxy_cmd import run_proxy
        return run_proxy(ProxyArgs.from_namespace(args))
    raise CliError(f"unknown command {command!r}")


def _replay(args: replay_args.ReplayArgs) -> int:
    if args.pcapng or args.har:
        from inspector.cli.replay_export import run_replay_export
        return run_replay_export(args.file, args.pcapng or args.har or "", "pcapng" if args.pcapng else "har")
    from inspector.cli.replay_cmd import run_replay
    return run_replay(args)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--recording-sink"]:  # internal: the app's recording process (frozen bundle)
        from inspector.recording.sink import main as sink_main
        return sink_main(argv[1:])
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is None:  # the app; its --help lists the commands too
        parser = build_parser(commands=any(a == "-h" or (len(a) > 2 and "--help".startswith(a)) for a in argv))
    else:
        named = first in SUBCOMMANDS
        parser = build_parser(open_file=not named, commands=named, only=first if named else None)
    from inspector.redact import register_secret, scrub
    for value in _literal_tokens(argv):  # so no message, usage error included, can echo one
        register_secret(value)
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        return 130
    except CliError as exc:
        print(scrub(f"realtime-inspector: error: {exc}"), file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - one clear line unless --debug
        if args.debug:
            print(scrub("".join(traceback.format_exception(exc)).rstrip()), file=sys.stderr)
        else:
            print(scrub(f"realtime-inspector: error: {type(exc).__name__}: {exc} (use --debug for details)"),
                  file=sys.stderr)
        return 1


def _literal_tokens(argv: list[str]) -> list[str]:
    """Values given with --token on the command line (of any subcommand)."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--token" and i + 1 < len(argv):
            out.append(argv[i + 1])
        elif arg.startswith("--token="):
            out.append(arg.split("=", 1)[1])
    return out
