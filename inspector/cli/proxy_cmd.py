"""``realtime-inspector proxy``: the reverse proxy as a process."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import os
import signal
import ssl
import sys

from inspector.cli.common_args import TokenArgs
from inspector.cli.connect_setup import connect_options, debug_logging, warn_insecure
from inspector.cli.errors import CliError
from inspector.cli.proxy_args import ProxyArgs
from inspector.client.tls import TlsSetupError
from inspector.mock.listener_tls import ListenerTls, ListenerTlsError, listener_context
from inspector.proxy.control import Control
from inspector.proxy.http_api import serve_http
from inspector.proxy.rule_text import RuleError, load_rules, parse_rule
from inspector.proxy.rules import Rule
from inspector.proxy.server import ProxyConfig, ProxyServer
from inspector.proxy.timing import ENV as TIMING_ENV
from inspector.proxy.timing import Timing
from inspector.proxy.upstream import Upstream
from inspector.redact import redact_url, register_secret


def split_listen(text: str, option: str = "--listen") -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise CliError(f"{option} must be HOST:PORT, not {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def rules_from_args(args: ProxyArgs) -> list[Rule]:
    try:
        rules = [parse_rule(text, f"--rule {n}", n) for n, text in enumerate(args.rules, 1)]
        if args.rules_file:
            rules += load_rules(args.rules_file, len(rules) + 1)
    except RuleError as exc:
        raise CliError(str(exc)) from None
    return rules


def listener_tls(args: ProxyArgs) -> ssl.SSLContext | None:
    """--tls-cert/--tls-key, or --tls-self-signed (made in a temporary folder, named on stdout)."""
    from inspector.mock.certs import LOOPBACK_NAMES
    try:
        made = listener_context(ListenerTls(args.tls_cert, args.tls_key, args.tls_self_signed),
                                "realtime-inspector-proxy-tls-")
    except ListenerTlsError as exc:
        raise CliError(str(exc)) from None
    if made is None:
        return None
    if made.ca_file is not None:
        print(f"TLS: self-signed certificate for {', '.join(LOOPBACK_NAMES)}; its CA file: {made.ca_file}",
              flush=True)
    return made.context


def config_from_args(args: ProxyArgs) -> ProxyConfig:
    control_address(args)  # checked before anything starts
    if not args.upstream.startswith(("ws://", "wss://")):
        raise CliError(f"--upstream must be a ws:// or wss:// URL, not {redact_url(args.upstream)!r}")
    host, port = split_listen(args.listen)
    rules = rules_from_args(args)
    options = connect_options(args.connect, _NO_TOKENS)
    try:
        upstream = Upstream.make(args.upstream, options)
    except TlsSetupError as exc:
        raise CliError(str(exc)) from None
    warn_insecure(options)

    def emit(line: str) -> None:
        print(line, flush=False)

    # the frozen app has no ``python -m`` for the log process: it logs in its own loop
    in_process = not args.quiet and getattr(sys, "frozen", False)
    return ProxyConfig(upstream=upstream, host=host, port=port, ssl_context=listener_tls(args), strict=args.strict,
                       rules=rules, emit=emit if in_process else None, as_json=args.json,
                       max_frame=args.max_frame)


def control_address(args: ProxyArgs) -> tuple[str, int] | None:
    """--control HOST:PORT, refused off loopback without --control-token."""
    if args.control is None:
        return None
    host, port = split_listen(args.control, "--control")
    if not args.control_token and not _is_loopback(host):
        raise CliError(f"--control on {host} (not loopback) needs --control-token")
    if args.control_token:
        register_secret(args.control_token)
    return host, port


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _start_control(args: ProxyArgs, server: ProxyServer) -> tuple[asyncio.Server, Control] | None:
    address = control_address(args)
    if address is None:
        return None
    control = Control("realtime", server)
    try:
        http = await serve_http(control.handle, address[0], address[1], args.control_token)
    except OSError as exc:
        await server.close()
        raise CliError(f"cannot serve the control API on {args.control}: {exc.strerror or exc}") from None
    port = http.sockets[0].getsockname()[1]
    print(f"control API on http://{address[0]}:{port} (Toxiproxy's API too; proxy name 'realtime')", flush=True)
    return http, control


def run_proxy(args: ProxyArgs) -> int:
    debug_logging(args.debug)
    config = config_from_args(args)
    try:
        return asyncio.run(_serve(config, args))
    except KeyboardInterrupt:
        return 0


async def _flush_often(done: asyncio.Event) -> None:
    while not done.is_set():
        sys.stdout.flush()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.1):
                await done.wait()


async def _serve(config: ProxyConfig, args: ProxyArgs) -> int:
    recorder = None
    if args.record:
        from inspector.proxy.record import PairRecorder
        recorder = PairRecorder.open(args.record, config.upstream.url)
        config.on_frame = recorder.frame
    server = ProxyServer(config)
    try:
        await server.start()
    except OSError as exc:
        raise CliError(f"cannot listen on {args.listen}: {exc.strerror or exc}") from None
    pipe = None
    if not args.quiet and config.emit is None:
        from inspector.proxy.log_pipe import LogPipe
        pipe = await LogPipe.start(args.json)
        config.log_factory = pipe.pair
    control = await _start_control(args, server)
    timing_file = os.environ.get(TIMING_ENV)
    if timing_file:
        config.timing = Timing()
    # What start-up made (modules, classes: tens of thousands of objects) lives as long as the
    # proxy: out of the collector's way, a full collection, a pause for every pair whenever
    # connections come and go long enough, walks only what forwarding made since.
    gc.freeze()
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before the listening line: a stop that follows it ends cleanly
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: Ctrl-C is KeyboardInterrupt
            loop.add_signal_handler(sig, done.set)
    scheme = "wss" if config.ssl_context else "ws"
    print(f"listening on {scheme}://{config.host}:{server.port} -> {redact_url(config.upstream.url)}", flush=True)
    try:
        await _flush_often(done)
    finally:
        if config.timing is not None:
            config.timing.close()  # the collector's pauses while forwarding, not those of shutting down
        if control is not None:
            control[0].close()
            await control[0].wait_closed()
            await control[1].close()
        await server.close()
        if recorder is not None:
            recorder.close()
        if pipe is not None:
            await pipe.close()
        if config.timing is not None and timing_file:
            config.timing.write(timing_file)
        sys.stdout.flush()
    return 0


_NO_TOKENS = TokenArgs(token=None, token_env=None, token_command=None, auth="header")  # clients bring their own
