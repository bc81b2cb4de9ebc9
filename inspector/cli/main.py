"""Command line: ``realtime-inspector [SUBCOMMAND] ...`` (SUBCOMMANDS below); none starts the app.

Without a subcommand it starts the desktop app. Each subcommand's work lives in
its own module; this file only parses arguments and reports errors as one line.
"""

from __future__ import annotations

import argparse
import sys
import traceback

from inspector import __version__
from inspector.cli.errors import CliError
from inspector.cli.payload_args import add_payload_args
from inspector.protocol import limits


class _Parser(argparse.ArgumentParser):
    """Usage errors echo arguments, and an argument may be a token: scrub them like any message."""

    def error(self, message: str):
        from inspector.redact import scrub
        self.print_usage(sys.stderr)
        self.exit(2, scrub(f"{self.prog}: error: {message}\n"))


def _add_token_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--token", help="the session token itself (prefer --token-env or --token-command)")
    g.add_argument("--token-env", metavar="VAR", help="read the token from this environment variable")
    g.add_argument("--token-command", metavar="CMD", help="run this shell command; its output is the token")
    p.add_argument("--auth", choices=("header", "query"), default="header",
                   help="send the token as 'Authorization: Bearer' (default) or as ?token=")


def _add_connect_args(p: argparse.ArgumentParser) -> None:
    """What every connecting subcommand takes to reach a real server (named as curl names them)."""
    g = p.add_argument_group("TLS, headers and proxies")
    g.add_argument("--cacert", metavar="FILE", help="also trust the CA certificates in FILE (PEM)")
    g.add_argument("--cert", metavar="FILE", help="client certificate (PEM) for mutual TLS; may hold the key too")
    g.add_argument("--key", metavar="FILE", help="the client certificate's private key (PEM)")
    g.add_argument("--key-pass-env", metavar="VAR", help="read the key's passphrase from this environment variable")
    g.add_argument("-k", "--insecure", action="store_true",
                   help="do not verify the server's certificate (anyone on the way could read the token)")
    g.add_argument("-H", "--header", action="append", dest="headers", default=[], metavar="'NAME: VALUE'",
                   help="an extra request header (repeatable); never the token: use the token options")
    g.add_argument("--origin", metavar="URL", help="send this Origin header (scheme://host[:port])")
    g.add_argument("--subprotocol", action="append", dest="subprotocols", default=[], metavar="NAME",
                   help="offer this WebSocket subprotocol (repeatable); the server's pick is shown")
    proxy = g.add_mutually_exclusive_group()
    proxy.add_argument("--proxy", metavar="URL", help="use this HTTP proxy (http://[user:pass@]host:port); "
                       "default: HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment")
    proxy.add_argument("--no-proxy", action="store_true", help="connect directly, whatever the environment says")


_CONNECT_EPILOG = ("TLS, headers and proxies:\n"
                   "  realtime-inspector tail wss://staging.example/api/v2/realtime --token-env RT_TOKEN \\\n"
                   "      --cacert staging-ca.pem --header 'X-Tenant: acme' --proxy http://proxy.corp:3128\n"
                   "  SSLKEYLOGFILE=keys.log realtime-inspector tail wss://...   # Wireshark can decrypt the capture\n")

SUBCOMMANDS = ("mock", "tail", "replay", "publish", "conform", "check-client", "wireshark", "load")


def _fault_names() -> list[str]:
    from inspector.mock.faults import FAULTS
    return list(FAULTS)


def build_parser(open_file: bool = True, commands: bool = True) -> argparse.ArgumentParser:
    """An optional FILE next to subcommands confuses argparse (``tail URL`` would parse
    as FILE=tail, COMMAND=URL; ``app.rirec`` as COMMAND), so main() builds the parser
    with only the one the first positional argument calls for."""
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
                        help="start the app on the embedded mock, check frames and latency arrive, exit")
    parser.add_argument("--screenshot", metavar="PATH", help="with --self-test: save a PNG of the main window")
    if open_file:
        parser.add_argument("open_file", nargs="?", metavar="FILE", help="a recording or HAR file to open in the app")
    if not commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    m = sub.add_parser("mock", help="run the mock server of the whole API",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n  realtime-inspector mock --demo\n"
                       "  realtime-inspector mock --port 0 --token secret --ping-interval 0.2 --pong-timeout 0.1\n"
                       "  realtime-inspector mock --allow-origin http://devbox.test:5173"
                       "   # a web page on another host\n")
    m.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    m.add_argument("--port", type=int, default=8765, help="port to listen on; 0 picks a free port "
                   "(default: %(default)s)")
    m.add_argument("--token", action="append", dest="tokens", metavar="TOKEN",
                   help="accept only these tokens (repeatable); default: any non-empty token")
    m.add_argument("--token-ttl", type=float, metavar="SECONDS",
                   help="tokens expire (4401) this many seconds after connect; default: never")
    m.add_argument("--allow-origin", action="append", dest="allow_origins", default=[], metavar="ORIGIN",
                   help="also accept browser pages from ORIGIN (scheme://host[:port], repeatable; '*' for "
                   "any); default: only clients without Origin and pages on 127.0.0.1, localhost or [::1]")
    m.add_argument("--ping-interval", type=float, default=limits.SERVER_PING_INTERVAL, metavar="SECONDS",
                   help="send a PING after this many seconds with nothing received (default: %(default)s)")
    m.add_argument("--pong-timeout", type=float, default=limits.PONG_TIMEOUT, metavar="SECONDS",
                   help="a PING without its PONG after this many seconds counts as missed (default: %(default)s)")
    m.add_argument("--max-missed-pongs", type=int, default=limits.MAX_MISSED_PONGS, metavar="N",
                   help="close with 1008 'pong timeout' after N missed pongs in a row (default: %(default)s)")
    m.add_argument("--idle-timeout", type=float, default=limits.IDLE_TIMEOUT, metavar="SECONDS",
                   help="close with 1008 a connection without subscriptions for this many seconds "
                   "(default: %(default)s)")
    m.add_argument("--max-connections-per-token", type=int,
                   default=limits.MAX_CONNECTIONS_PER_TOKEN, metavar="N",
                   help="concurrent connections per token; the next one is closed with 1008 (default: %(default)s)")
    m.add_argument("--max-subscriptions", type=int, default=limits.MAX_SUBSCRIPTIONS, metavar="N",
                   help="subscriptions per connection; more get a subscription_limit ERROR (default: %(default)s)")
    m.add_argument("--demo", action="store_true", help="publish lively synthetic traffic")
    m.add_argument("--replay", metavar="FILE", help="play a recording's server events to subscribers")
    m.add_argument("--fault", action="append", dest="faults", default=[], metavar="NAME",
                   choices=sorted(_fault_names()),
                   help="break one protocol rule on purpose, to test conformance checkers (repeatable): "
                   + ", ".join(sorted(_fault_names())))
    m.add_argument("--speed", type=float, default=1.0,
                   help="with --replay: time scale, 2 = twice as fast, 0 = no pauses (default: %(default)s)")
    m.add_argument("--loop", action="store_true", help="with --replay: start again at the end")
    m.add_argument("--asyncapi", metavar="FILE", help="publish each topic's examples from this AsyncAPI document")
    m.add_argument("--every", type=float, default=1.0, metavar="SECONDS",
                   help="with --asyncapi: publish one example per topic this often (default: %(default)s)")
    mt = m.add_argument_group("TLS (serve wss://)")
    mt.add_argument("--tls-cert", metavar="FILE", help="serve wss:// with this certificate (PEM, chain first)")
    mt.add_argument("--tls-key", metavar="FILE", help="the certificate's private key (PEM)")
    mt.add_argument("--tls-self-signed", action="store_true",
                    help="serve wss:// with a throwaway certificate for 127.0.0.1/localhost; prints its CA file")
    mt.add_argument("--tls-client-ca", metavar="FILE",
                    help="mutual TLS: require a client certificate issued by a CA in FILE")

    t = sub.add_parser("tail", help="connect, subscribe and print every frame",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n"
                       "  realtime-inspector tail ws://127.0.0.1:8765/api/v2/realtime --token dev \\\n"
                       "      --subscribe ticker --subscribe 'orders.eu=data.total > `100`' --json\n\n"
                       "--json: one object per line, as replay --json prints (docs/json-output.md):\n"
                       "  v (schema 1), t, conn, event (frame|state|subscription|rtt|pong_missed|\n"
                       "  server_ping); frames carry dir, kind, topic, seq, size, summary, the exact\n"
                       "  bytes as base64 in raw_b64, text (a text frame), and body (decoded, as\n"
                       "  sent) or decode_error.\n"
                       "exit status: 0 normal end (--count, --duration, Ctrl-C, server close 1000),\n"
                       "  1 other stop, 2 usage error, 3 HTTP 401 on the upgrade, 4 closed with 1008,\n"
                       "  5 no token / token expired and cannot be refreshed. A certificate or TLS\n"
                       "  failure stops at once (no retry) with exit 1 and one line naming it.\n\n"
                       + _CONNECT_EPILOG)
    t.add_argument("url")
    _add_token_args(t)
    t.add_argument("--subscribe", action="append", default=[], metavar="TOPIC[=FILTER]")
    t.add_argument("--ping-every", type=float, metavar="SECONDS", help="send our own PINGs and report RTT")
    t.add_argument("--json", action="store_true", help="one JSON object per line (see below)")
    t.add_argument("--record", metavar="FILE", help="record the session to FILE")
    t.add_argument("--count", type=int, metavar="N", help="exit after N frames received")
    t.add_argument("--duration", type=float, metavar="SECONDS", help="exit after this long")
    add_payload_args(t)
    t.add_argument("--backoff-scale", type=float, default=1.0, metavar="F",
                   help="multiply the reconnect delays and the 10 s reset time by F (for check-client "
                   "--time-scale runs; default: 1)")
    _add_connect_args(t)

    r = sub.add_parser("replay", help="print a recording or HAR file, decoded",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n  realtime-inspector replay session.rirec --json\n"
                       "  realtime-inspector replay capture.har --speed 0\n"
                       "  realtime-inspector replay session.rirec --pcapng session.pcapng   # open in Wireshark\n"
                       "  realtime-inspector replay dumpcap-output.pcapng\n\n"
                       "--json: the lines tail --json printed for the session (docs/json-output.md)\n")
    r.add_argument("file")
    r.add_argument("--json", action="store_true", help="one JSON object per line, as tail --json")
    r.add_argument("--speed", type=float, default=0.0,
                   help="pace output at the recorded timing scaled by X (0 = as fast as possible, default)")
    add_payload_args(r)
    r.add_argument("--pcapng", metavar="OUT", help="write FILE as a pcapng capture to OUT instead of printing "
                   "(open it in Wireshark with: realtime-inspector wireshark --install)")

    from inspector.cli.conform_cmd import add_conform_args
    c = sub.add_parser("conform", help="check a server against the protocol, rule by rule",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n"
                       "  realtime-inspector conform ws://127.0.0.1:8765/api/v2/realtime --token dev \\\n"
                       "      --control ws://127.0.0.1:8765/mock/control --junit conform.xml --artifacts out/\n"
                       "  realtime-inspector conform --list\n\n"
                       "exit status: 0 nothing failed, 1 a case failed (--strict: or a SHOULD was not met),\n"
                       "  2 usage error or a case the harness could not run (docs/conformance.md)\n")
    add_conform_args(c)
    _add_token_args(c)
    _add_connect_args(c)

    from inspector.cli.check_client_cmd import add_check_client_args
    cc = sub.add_parser("check-client", help="check a client against the protocol, case by case",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        epilog="examples:\n"
                        "  realtime-inspector check-client -- my-client --url {url} --token {token}\n"
                        "  realtime-inspector check-client --time-scale 0.1 -- realtime-inspector tail {url} \\\n"
                        "      --token {token} --subscribe orders.eu --backoff-scale {scale}\n\n"
                        "The client also gets REALTIME_URL, REALTIME_TOKEN, REALTIME_CASE and REALTIME_TIME_SCALE;\n"
                        "exit status 127 from it skips the case. Exit status as for conform.\n")
    add_check_client_args(cc)

    p = sub.add_parser("publish", help="publish an event through a mock server's control channel",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n"
                       "  realtime-inspector publish ws://127.0.0.1:8765 --token dev orders.eu '{\"total\": 250}'\n")
    p.add_argument("url", help="the mock server's address (ws://HOST:PORT, any path)")
    _add_token_args(p)
    p.add_argument("topic")
    p.add_argument("data", help="JSON value to publish (use - to read lines of JSON from stdin)")
    p.add_argument("--rate", type=float, metavar="PER_SECOND", help="publish the same data repeatedly at this rate")
    p.add_argument("--count", type=int, default=1)
    _add_connect_args(p)

    w = sub.add_parser("wireshark", help="the Wireshark dissector: where it is, install it",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n  realtime-inspector wireshark --install\n"
                       "  tshark -X lua_script:$(realtime-inspector wireshark --print-path) -r session.pcapng "
                       "-Y 'rtapi.kind == 0x10'\n")
    w.add_argument("--install", action="store_true", help="copy the dissector into Wireshark's personal "
                   "Lua plugin folder")
    w.add_argument("--print-path", action="store_true", help="print the path of the dissector file")
    w.add_argument("--plugin-dir", metavar="DIR", help="with --install: this folder instead of the one "
                   "tshark -G folders names")
    from inspector.cli.load_cmd import add_parser as add_load_parser  # never imports Locust
    add_load_parser(sub)
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "mock":
        from inspector.cli.mock_cmd import run_mock
        return run_mock(args)
    if args.command == "tail":
        from inspector.cli.tail_cmd import run_tail
        return run_tail(args)
    if args.command == "publish":
        from inspector.cli.tail_cmd import run_publish
        return run_publish(args)
    if args.command == "replay" and getattr(args, "pcapng", None):
        from inspector.cli.wireshark_cmd import run_pcapng_export
        return run_pcapng_export(args)
    if args.command == "wireshark":
        from inspector.cli.wireshark_cmd import run_wireshark
        return run_wireshark(args)
    if args.command == "conform":
        from inspector.cli.conform_cmd import run_conform
        return run_conform(args)
    if args.command == "check-client":
        from inspector.cli.check_client_cmd import run_check_client
        return run_check_client(args)
    if args.command == "load":
        from inspector.cli.load_cmd import run_load
        return run_load(args)
    if args.command == "replay":
        from inspector.cli.replay_cmd import run_replay
        return run_replay(args)
    from inspector.qt.app import run_app
    return run_app(args)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--recording-sink"]:  # internal: the app's recording process (frozen bundle)
        from inspector.recording.sink import main as sink_main
        return sink_main(argv[1:])
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is None:
        parser = build_parser()
    else:
        parser = build_parser(open_file=first not in SUBCOMMANDS, commands=first in SUBCOMMANDS)
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
    out = []
    for i, arg in enumerate(argv):
        if arg == "--token" and i + 1 < len(argv):
            out.append(argv[i + 1])
        elif arg.startswith("--token="):
            out.append(arg.split("=", 1)[1])
    return out
