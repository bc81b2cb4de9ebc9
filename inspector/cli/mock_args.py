"""``realtime-inspector mock``: its options, and their values as one typed object."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from inspector.cli.common_args import Subparsers, add_command
from inspector.protocol import limits

NAME = "mock"
EPILOG = ("examples:\n  realtime-inspector mock --demo\n"
          "  realtime-inspector mock --port 0 --token secret --ping-interval 0.2 --pong-timeout 0.1\n"
          "  realtime-inspector mock --allow-origin http://devbox.test:5173"
          "   # a web page on another host\n")


def _fault_names() -> list[str]:
    from inspector.mock.faults import FAULTS
    return sorted(FAULTS)


def add_parser(sub: Subparsers) -> None:
    m = add_command(sub, NAME, "run the mock server of the whole API", EPILOG)
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
    m.add_argument("--replay", metavar="FILE", help="play the server events of a session store folder, recording, "
                   "HAR or pcapng capture to subscribers")
    faults = _fault_names()
    m.add_argument("--fault", action="append", dest="faults", default=[], metavar="NAME", choices=faults,
                   help="break one protocol rule on purpose, to test conformance checkers (repeatable): "
                   + ", ".join(faults))
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


@dataclass(frozen=True)
class MockArgs:
    host: str
    port: int
    tokens: tuple[str, ...] | None = field(repr=False)  # None: any non-empty token; never in a repr
    token_ttl: float | None
    allow_origins: tuple[str, ...]
    ping_interval: float
    pong_timeout: float
    max_missed_pongs: int
    idle_timeout: float
    max_connections_per_token: int
    max_subscriptions: int
    demo: bool
    replay: str | None
    faults: tuple[str, ...]
    speed: float
    loop: bool
    asyncapi: str | None
    every: float
    tls_cert: str | None
    tls_key: str | None
    tls_self_signed: bool
    tls_client_ca: str | None

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace) -> MockArgs:
        return cls(
            host=ns.host, port=ns.port, tokens=None if ns.tokens is None else tuple(ns.tokens),
            token_ttl=ns.token_ttl, allow_origins=tuple(ns.allow_origins), ping_interval=ns.ping_interval,
            pong_timeout=ns.pong_timeout, max_missed_pongs=ns.max_missed_pongs, idle_timeout=ns.idle_timeout,
            max_connections_per_token=ns.max_connections_per_token, max_subscriptions=ns.max_subscriptions,
            demo=ns.demo, replay=ns.replay, faults=tuple(ns.faults), speed=ns.speed, loop=ns.loop,
            asyncapi=ns.asyncapi, every=ns.every, tls_cert=ns.tls_cert, tls_key=ns.tls_key,
            tls_self_signed=ns.tls_self_signed, tls_client_ca=ns.tls_client_ca)
