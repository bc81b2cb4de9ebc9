"""``realtime-inspector tail`` and ``publish``.

tail exit codes: 0 normal end (--count/--duration reached, Ctrl-C, server closed 1000),
1 stopped for another reason (e.g. an internal error, a recording write error),
2 usage error, 3 refused by HTTP 401 on the upgrade, 4 closed by the server with 1008,
5 token problem (no token, or it expired and cannot be refreshed).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, Literal, Protocol, TextIO
from urllib.parse import urlsplit

from inspector.cli.connect_setup import connect_options, debug_logging, token_source, warn_cleartext, warn_insecure
from inspector.cli.errors import CliError
from inspector.cli.payload_args import lens_from_args, with_readings
from inspector.cli.publish_args import PublishArgs
from inspector.cli.stop_signals import stop_on_signals
from inspector.cli.subscribe_spec import parse_subscribe
from inspector.cli.tail_args import TailArgs
from inspector.cli.tail_format import TextFormatter, stdout_is_unicode
from inspector.client.engine import ClientConfig, RealtimeClient
from inspector.client.model import ConnectOptions, is_loopback_host
from inspector.client.tls import SessionInfo
from inspector.client.tokens import TokenError, TokenSource
from inspector.payloads.lens import Lens
from inspector.protocol import backoff, closecodes, urls
from inspector.protocol.control_publish import publish_refusal, publish_request
from inspector.protocol.events import IN, FrameSeen, SessionEvent, State, StateChanged, StopReason
from inspector.protocol.json_output import json_line
from inspector.protocol.topics import topic_error
from inspector.redact import redact_url, scrub

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from inspector.logstore.store_recorder import StoreRecorder

EXIT_OK = 0
EXIT_STOPPED = 1
EXIT_HTTP_401 = 3
EXIT_POLICY_1008 = 4
EXIT_TOKEN = 5


# ---------------------------------------------------------------- arguments


def _config(args: TailArgs, token: TokenSource) -> ClientConfig:
    options = connect_options(args.connect, args.tokens)
    scale = args.backoff_scale
    cfg = ClientConfig(url=args.url, token=token, auth=args.tokens.auth, options=options,
                       ping_interval=args.ping_every, backoff_initial=backoff.INITIAL * scale,
                       backoff_cap=backoff.CAP * scale, backoff_reset_after=backoff.RESET_AFTER * scale)
    try:
        cfg.validate()
    except ValueError as exc:
        raise CliError(str(exc)) from None
    warn_cleartext(cfg.url)
    warn_insecure(options)
    return cfg


def session_line(info: SessionInfo) -> str | None:
    """How the connection was made, for stderr: TLS, who the certificate names, subprotocol, proxy."""
    parts = []
    tls = info.tls
    if tls is not None:
        text = f"{tls.version} {tls.cipher}" + (f", ALPN {tls.alpn}" if tls.alpn else "")
        if tls.chain:
            text += f", certificate {tls.chain[0].subject} issued by {tls.chain[0].issuer}"
        text += " (verified)" if tls.verified else " (NOT VERIFIED: --insecure)"
        parts.append(text)
    if info.subprotocol:
        parts.append(f"subprotocol {info.subprotocol}")
    if info.proxy:
        parts.append(f"through the proxy {info.proxy}")
    return "connected: " + "; ".join(parts) if parts else None


_EXIT_FOR_STOP = {
    StopReason.REQUESTED: EXIT_OK,
    StopReason.SERVER_DONE: EXIT_OK,
    StopReason.NO_TOKEN: EXIT_TOKEN,
    StopReason.TOKEN_EXPIRED: EXIT_TOKEN,
}


def _exit_code(ev: StateChanged | None) -> int:
    """By the stop reason, never by the message (which is for people and may be reworded)."""
    if ev is None or ev.state is not State.STOPPED:
        return EXIT_OK
    if ev.stop is StopReason.HTTP_REFUSED and ev.http_status == 401:
        return EXIT_HTTP_401
    if ev.stop is StopReason.SERVER_STOPPED and ev.code == closecodes.POLICY_VIOLATION:
        return EXIT_POLICY_1008
    return _EXIT_FOR_STOP.get(ev.stop, EXIT_STOPPED) if ev.stop is not None else EXIT_STOPPED


class _Recorder(Protocol):
    def write_event(self, ev: SessionEvent) -> None: ...
    def close(self) -> None: ...


def records_rirec(path: str) -> bool:
    """``--record PATH``: a ``.rirec`` file when PATH ends in .rirec (as before the session
    store), else a session store folder."""
    return path.lower().endswith(".rirec")


def _open_recorder(args: TailArgs) -> tuple[_Recorder | None, StoreRecorder | None]:
    """What records the session, and the same when it is a session store (it needs ticks)."""
    if not args.record:
        return None, None
    if records_rirec(args.record):
        from inspector.recording.format import RecordingError
        from inspector.recording.writer import RecordingWriter
        try:
            return RecordingWriter(args.record, profile="tail", url=args.url), None
        except RecordingError as exc:
            raise CliError(str(exc)) from None
    store = _open_store(args.record, args.url)
    return store, store


def _open_store(path: str, url: str) -> StoreRecorder:
    """A session store folder at ``path``; CliError before connecting when it cannot be written.
    A later failure (a full disk) is one line on stderr, and tail carries on printing."""
    from inspector.logstore.store_recorder import StoreRecorder
    started = False

    def failed(text: str) -> None:
        if started:
            print(f"realtime-inspector: {text}", file=sys.stderr, flush=True)

    try:
        recorder = StoreRecorder(path, on_error=failed, profile="tail", url=url,
                                 carry_on="tail carries on without recording")
    except OSError as exc:
        raise CliError(f"cannot record to {path}: {exc.strerror or exc}") from None
    if recorder.error:
        recorder.close()
        raise CliError(recorder.error.split("; ")[0])
    started = True
    return recorder


async def _tick_store(recorder: StoreRecorder) -> None:
    """Move what tail saw into the session store and let it write, every ``TICK`` s."""
    from inspector.logstore.store_recorder import TICK
    while True:
        await asyncio.sleep(TICK)
        recorder.tick()


# ---------------------------------------------------------------- tail


class _Output:
    """Writes one line per event; stops quietly when the reader goes away (| head)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.broken = False

    def write(self, line: str) -> None:
        if self.broken:
            return
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except BrokenPipeError:
            self.broken = True


def _json_line(ev: SessionEvent) -> str | None:
    return json_line(ev, scrub)


def run_tail(args: TailArgs) -> int:
    debug_logging(args.debug)
    token = token_source(args.tokens)
    subs = [parse_subscribe(s) for s in args.subscribe]
    if args.count is not None and args.count < 1:
        raise CliError("--count must be at least 1")
    if args.duration is not None and args.duration <= 0:
        raise CliError("--duration must be positive")
    if args.ping_every is not None and args.ping_every <= 0:
        raise CliError("--ping-every must be positive")
    if not args.backoff_scale > 0:
        raise CliError("--backoff-scale must be positive")
    cfg = _config(args, token)
    lens = lens_from_args(args.payload)
    recorder, store = _open_recorder(args)
    reconfigure = getattr(sys.stdout, "reconfigure", None)  # a replaced stdout may lack it
    if reconfigure is not None:
        with contextlib.suppress(ValueError):
            reconfigure(errors="backslashreplace")
    try:
        return asyncio.run(_tail(args, cfg, subs, lens, recorder, store))
    finally:
        if recorder is not None:
            recorder.close()


async def _tail(args: TailArgs, cfg: ClientConfig, subs: list[tuple[str, str | None]], lens: Lens | None,
                recorder: _Recorder | None, store: StoreRecorder | None) -> int:
    fmt: Callable[[SessionEvent], str | None] = (
        _json_line if args.json else TextFormatter(args.url, stdout_is_unicode()))
    if lens is not None:
        fmt = with_readings(fmt, lens, args.json)
    client = RealtimeClient(cfg)
    done = asyncio.Event()
    result: dict[str, Any] = {"stopped": None, "error": None, "frames": 0}
    client.add_listener(_tail_listener(args, client, fmt, recorder, result, done))
    for topic, flt in subs:
        client.subscribe(topic, flt)
    stop_on_signals(asyncio.get_running_loop(), done.set)
    client.start()
    ticks = None if store is None else asyncio.ensure_future(_tick_store(store))
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(args.duration):
            await done.wait()
    stopped = result["stopped"]
    await client.stop()
    if ticks is not None:
        ticks.cancel()
    if lens is not None:
        lens.close()
    if result["error"]:
        print(f"realtime-inspector: error: {result['error']}", file=sys.stderr)
        return EXIT_STOPPED
    code = _exit_code(stopped)
    if code != EXIT_OK:
        print(f"realtime-inspector: {stopped.message}", file=sys.stderr)
    return code


def _tail_listener(args: TailArgs, client: RealtimeClient, fmt: Callable[[SessionEvent], str | None],
                   recorder: _Recorder | None, result: dict[str, Any],
                   done: asyncio.Event) -> Callable[[SessionEvent], None]:
    """What tail does with each event: print it, record it, count the frames received, and set
    ``done`` (``result`` saying why) once the tail is over."""
    out = _Output(sys.stdout)

    def on_event(ev: SessionEvent) -> None:
        line = fmt(ev)
        if line is not None:
            out.write(line)
        if recorder is not None and result["error"] is None:
            try:
                recorder.write_event(ev)
            except Exception as exc:  # noqa: BLE001 - a full disk ends the tail with one line
                result["error"] = f"recording failed: {exc}"
                done.set()
        if ev.__class__ is FrameSeen:
            if ev.direction == IN:
                result["frames"] += 1
                if args.count is not None and result["frames"] >= args.count:
                    done.set()
        elif isinstance(ev, StateChanged) and ev.state is State.STOPPED:
            result["stopped"] = ev
            done.set()
        elif isinstance(ev, StateChanged) and ev.state is State.OPEN and client.session_info is not None:
            line = session_line(client.session_info)
            if line:
                print(f"realtime-inspector: {line}", file=sys.stderr, flush=True)
        if out.broken:
            done.set()

    return on_event


# ---------------------------------------------------------------- publish


def control_url(url: str) -> str:
    """The mock's control channel on the host:port of any ws:// or http:// URL."""
    try:
        return urls.control_url(url)
    except ValueError as exc:
        raise CliError(f"invalid URL {redact_url(url)!r}: {exc}") from None


def _parse_data(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{where} is not JSON: {exc.msg} at position {exc.pos}") from None


def run_publish(args: PublishArgs) -> int:
    debug_logging(args.debug)
    token = token_source(args.tokens)
    url = control_url(args.url)
    options = connect_options(args.connect, args.tokens)
    warn_cleartext(url)
    warn_insecure(options)
    reason = topic_error(args.topic)
    if reason is not None:
        raise CliError(f"invalid topic {args.topic!r}: {reason}")
    if args.count is not None and args.count < 1:
        raise CliError("--count must be at least 1")
    if args.rate is not None and args.rate <= 0:
        raise CliError("--rate must be positive")
    data = None if args.data == "-" else _parse_data(args.data, "data")
    return asyncio.run(_publish(args, token, url, data, options))


async def _publish(args: PublishArgs, token: TokenSource, url: str, data: Any, options: ConnectOptions) -> int:
    from websockets.exceptions import ConnectionClosed
    try:
        value = await token.fetch()
    except TokenError as exc:
        raise CliError(str(exc)) from None
    ws = await _open_control(url, value, args.auth, options)
    failures = 0
    try:
        async for item in _items(args, data):
            await ws.send(publish_request(args.topic, item))
            reply = await ws.recv()
            print(reply if isinstance(reply, str) else reply.decode("utf-8", "replace"), flush=True)
            if publish_refusal(reply) is not None:
                failures += 1
    except ConnectionClosed as exc:
        raise CliError(f"control channel closed: {exc.rcvd.code if exc.rcvd else closecodes.ABNORMAL}") from None
    finally:
        await ws.close()
    return 1 if failures else 0


async def _open_control(url: str, token: str, auth: str, options: ConnectOptions) -> ClientConnection:
    """The control channel's connection, with the token as ``auth`` says; CliError saying why not."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus
    from websockets.typing import Origin, Subprotocol

    from inspector.client.engine import WS_LOG
    from inspector.client.tls import TlsSetupError, client_context
    url, auth_headers = urls.dial(url, token, auth)
    carrier = options.header_with(token)
    if carrier is not None:
        raise CliError(f"--header {carrier!r} carries the token's value: use the token options")
    parts = urlsplit(url)
    tls = None
    if parts.scheme == "wss":
        try:
            tls = client_context(options)
        except TlsSetupError as exc:
            raise CliError(str(exc)) from None
    proxy: str | Literal[True] | None = None if options.no_proxy or is_loopback_host(parts.hostname) else True
    if options.proxy:
        proxy = options.proxy if "://" in options.proxy else f"http://{options.proxy}"
    try:
        return await connect(url, additional_headers=list(options.headers) + auth_headers, ping_interval=None,
                             compression=None, logger=WS_LOG, open_timeout=10, proxy=proxy, ssl=tls,
                             origin=Origin(options.origin) if options.origin else None,
                             subprotocols=[Subprotocol(n) for n in options.subprotocols] or None)
    except InvalidStatus as exc:
        code = ""
        with contextlib.suppress(Exception):  # the status alone says enough
            code = " " + json.loads(exc.response.body).get("code", "")
        raise CliError(f"control channel refused: HTTP {exc.response.status_code}{code}") from None
    except (TimeoutError, OSError) as exc:
        line = await _unreachable_line(exc, url, proxy)
        raise CliError(f"cannot reach {redact_url(url)}: {scrub(line, token)}") from None
    except Exception as exc:  # noqa: BLE001 - any handshake failure is one line
        raise CliError(f"cannot open the control channel: {scrub(str(exc), token)}") from None


async def _unreachable_line(exc: BaseException, url: str, proxy: str | Literal[True] | None) -> str:
    """One line for a control channel that could not be reached; a rejected certificate is named, as tail does."""
    from inspector.client.connection import rejected_certificate
    from inspector.client.failures import CertificateRejected, classify
    from inspector.client.proxy import ProxyError, parse_proxy, proxy_for
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    if isinstance(exc, ssl.SSLCertVerificationError):
        try:
            via = None if proxy is None else parse_proxy(proxy) if proxy is not True else proxy_for(url)
        except ProxyError:
            via = None
        exc = CertificateRejected(exc, await rejected_certificate(host, port, via), host)
    return classify(exc, host, parts.port).message


async def _items(args: PublishArgs, data: Any) -> AsyncIterator[Any]:
    """The values to publish, paced by --rate."""
    interval = 1.0 / args.rate if args.rate else 0.0
    next_at = time.monotonic()

    async def pace() -> None:
        nonlocal next_at
        if interval:
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            next_at += interval

    if args.data == "-":
        loop = asyncio.get_running_loop()
        lineno = 0
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            lineno += 1
            if not line.strip():
                continue
            value = _parse_data(line, f"stdin line {lineno}")
            await pace()
            yield value
    else:
        for _ in range(args.count or 1):
            await pace()
            yield data
