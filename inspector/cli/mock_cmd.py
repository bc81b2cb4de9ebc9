"""``realtime-inspector mock``: the mock server as a process."""

from __future__ import annotations

import asyncio
import os
import ssl
import tempfile
from typing import Any

from inspector.cli.errors import CliError
from inspector.cli.mock_args import MockArgs
from inspector.cli.stop_signals import stop_on_signals
from inspector.mock.certs import LOOPBACK_NAMES, server_context
from inspector.mock.origin import ANY, canonical_origin
from inspector.mock.server import MockConfig, MockServer
from inspector.protocol.closecodes import GOING_AWAY


def config_from_args(args: MockArgs) -> MockConfig:
    tokens = None
    if args.tokens is not None:
        if any(not t for t in args.tokens):
            raise CliError("--token must not be empty")
        tokens = frozenset(args.tokens)
    positive = {"--ping-interval": args.ping_interval, "--pong-timeout": args.pong_timeout,
                "--idle-timeout": args.idle_timeout}
    if args.token_ttl is not None:
        positive["--token-ttl"] = args.token_ttl
    for name, value in positive.items():
        if not value > 0:
            raise CliError(f"{name} must be a positive number of seconds, not {value}")
    for name, value in {"--max-missed-pongs": args.max_missed_pongs,
                        "--max-connections-per-token": args.max_connections_per_token,
                        "--max-subscriptions": args.max_subscriptions}.items():
        if value < 1:
            raise CliError(f"{name} must be at least 1, not {value}")
    if not 0 <= args.port <= 65535:
        raise CliError(f"--port must be 0 … 65535, not {args.port}")
    origins = args.allow_origins
    for origin in origins:
        if origin != ANY:
            try:
                canonical_origin(origin)
            except ValueError as exc:
                raise CliError(f"--allow-origin: {exc}") from None
    return MockConfig(
        ssl_context=_tls_context(args),
        host=args.host, port=args.port, tokens=tokens, token_ttl=args.token_ttl,
        ping_interval=args.ping_interval, pong_timeout=args.pong_timeout,
        max_missed_pongs=args.max_missed_pongs, idle_timeout=args.idle_timeout,
        max_connections_per_token=args.max_connections_per_token,
        max_subscriptions=args.max_subscriptions, allow_origins=origins,
        faults=args.faults,
    )


def _tls_context(args: MockArgs) -> ssl.SSLContext | None:
    """--tls-cert/--tls-key, or --tls-self-signed (made in a temporary folder, named on stdout)."""
    cert, key = args.tls_cert, args.tls_key
    self_signed = args.tls_self_signed
    client_ca = args.tls_client_ca
    if self_signed and (cert or key):
        raise CliError("--tls-self-signed makes its own certificate: leave out --tls-cert/--tls-key")
    if key and not cert:
        raise CliError("--tls-key needs --tls-cert")
    if client_ca and not (cert or self_signed):
        raise CliError("--tls-client-ca needs TLS (--tls-cert or --tls-self-signed)")
    if self_signed:
        from inspector.mock.certs import self_signed as make_self_signed
        folder = tempfile.mkdtemp(prefix="realtime-inspector-mock-tls-")
        made = make_self_signed(folder)
        print(f"TLS: self-signed certificate for {', '.join(LOOPBACK_NAMES)}; "
              f"its CA file: {made.ca_file} (use --cacert {made.ca_file})", flush=True)
        cert, key = str(made.cert_file), str(made.key_file)
    if not cert:
        return None
    try:
        context = server_context(cert, key, client_ca)
        if self_signed:  # loaded: only the CA file stays behind, for clients to trust
            os.unlink(cert)
            os.unlink(key) if key else None
        return context
    except FileNotFoundError as exc:
        raise CliError(f"TLS file not found: {exc.filename or cert}") from None
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
        raise CliError(f"cannot use the TLS certificate {cert}: {str(reason).replace('_', ' ').lower()}") from None


def _contract_examples(args: MockArgs) -> list[tuple[str, list[Any]]] | None:
    path = args.asyncapi
    if not path:
        return None
    from inspector.payloads.contract import Contract, ContractError
    if not args.every > 0:
        raise CliError(f"--every must be a positive number of seconds, not {args.every}")
    try:
        examples = Contract.load(path).examples()
    except ContractError as exc:
        raise CliError(f"--asyncapi: {exc}") from None
    if not examples:
        raise CliError(f"--asyncapi: {os.path.basename(path)} has no topic channel with examples")
    return examples


def run_mock(args: MockArgs) -> int:
    config = config_from_args(args)
    examples = _contract_examples(args)
    if args.replay is not None and not args.speed >= 0:
        raise CliError(f"--speed must be 0 or more, not {args.speed}")
    try:
        return asyncio.run(_serve(config, args, examples))
    except KeyboardInterrupt:  # where signal handlers are unavailable (Windows), Ctrl-C lands here
        return 0


def _replay_events(replay: str) -> list[tuple[float, dict[str, Any]]]:
    from inspector.logstore.session_store.errors import StoreError
    from inspector.logstore.store_source import open_any
    from inspector.recording.format import RecordingError
    from inspector.recording.server_events import server_events_of
    try:
        events = server_events_of(open_any(replay))  # a session store folder, .rirec, HAR or pcapng
    except (RecordingError, StoreError) as exc:
        raise CliError(str(exc)) from None
    if not events:
        raise CliError(f"{os.path.basename(replay)} holds no server events to replay")
    return events


async def _serve(config: MockConfig, args: MockArgs, examples: list[tuple[str, list[Any]]] | None) -> int:
    events = _replay_events(args.replay) if args.replay else None
    server = MockServer(config)
    try:
        await server.start()
    except OSError as exc:
        raise CliError(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}") from None
    print(f"listening on {server.url}", flush=True)
    done = asyncio.Event()
    stop_on_signals(asyncio.get_running_loop(), done.set)
    tasks: list[asyncio.Future[Any]] = []
    if args.demo:
        server.start_demo()
    if examples:
        from inspector.mock.examples import publish_examples
        topics = ", ".join(topic for topic, _ in examples)
        print(f"publishing examples every {args.every:g} s on {topics}", flush=True)
        tasks.append(asyncio.ensure_future(publish_examples(server, examples, args.every)))
    if events is not None:
        from inspector.mock.replay import play
        tasks.append(asyncio.ensure_future(play(server, events, speed=args.speed, loop=args.loop)))
    try:
        waiter = asyncio.ensure_future(done.wait())
        pending = {waiter, *tasks}
        while not done.is_set() and pending:
            finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                if task is not waiter and not task.cancelled() and task.exception() is not None:
                    failure = task.exception()
                    what = f"replay of {args.replay}" if args.replay else "publishing examples"
                    raise CliError(f"{what} failed: {failure}") from None
    finally:
        for task in tasks:
            task.cancel()
        await server.stop(GOING_AWAY, "server restart")
    return 0
