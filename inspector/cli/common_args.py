"""The option groups several subcommands share, declared once, and their typed values.

Each group is a function that adds it to a parser and a frozen dataclass built once from
the parsed namespace. Only argparse is imported here: every parser is built for ``--help``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any, Protocol


class Subparsers(Protocol):
    """What ``ArgumentParser.add_subparsers()`` returns, as the command modules use it."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


class CommandArgs(Protocol):
    """A ``<name>_args`` module: the subcommand's name and the function that adds its parser."""

    NAME: str

    def add_parser(self, sub: Subparsers) -> None: ...


def add_command(sub: Subparsers, name: str, summary: str, epilog: str) -> argparse.ArgumentParser:
    """A subcommand's parser: ``summary`` in the command list, ``epilog`` (examples) laid out as written."""
    return sub.add_parser(name, help=summary, formatter_class=argparse.RawDescriptionHelpFormatter, epilog=epilog)


# ---------------------------------------------------------------- token


def add_token_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--token", help="the session token itself (prefer --token-env or --token-command)")
    g.add_argument("--token-env", metavar="VAR", help="read the token from this environment variable")
    g.add_argument("--token-command", metavar="CMD", help="run this shell command; its output is the token")
    p.add_argument("--auth", choices=("header", "query"), default="header",
                   help="send the token as 'Authorization: Bearer' (default) or as ?token=")


@dataclass(frozen=True)
class TokenArgs:
    """At most one of token, token_env and token_command; auth is "header" or "query"."""

    token: str | None = field(repr=False)  # never in a repr
    token_env: str | None
    token_command: str | None
    auth: str

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace) -> TokenArgs:
        return cls(token=ns.token, token_env=ns.token_env, token_command=ns.token_command, auth=ns.auth)


# ---------------------------------------------------------------- TLS, headers and proxies


def add_connect_args(p: argparse.ArgumentParser) -> None:
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


CONNECT_EPILOG = ("TLS, headers and proxies:\n"
                  "  realtime-inspector tail wss://staging.example/api/v2/realtime --token-env RT_TOKEN \\\n"
                  "      --cacert staging-ca.pem --header 'X-Tenant: acme' --proxy http://proxy.corp:3128\n"
                  "  SSLKEYLOGFILE=keys.log realtime-inspector tail wss://...   # Wireshark can decrypt the capture\n")


@dataclass(frozen=True)
class ConnectArgs:
    cacert: str | None
    cert: str | None
    key: str | None
    key_pass_env: str | None
    insecure: bool
    headers: tuple[str, ...]
    origin: str | None
    subprotocols: tuple[str, ...]
    proxy: str | None
    no_proxy: bool

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace) -> ConnectArgs:
        return cls(cacert=ns.cacert, cert=ns.cert, key=ns.key, key_pass_env=ns.key_pass_env,
                   insecure=ns.insecure, headers=tuple(ns.headers), origin=ns.origin,
                   subprotocols=tuple(ns.subprotocols), proxy=ns.proxy, no_proxy=ns.no_proxy)


# ---------------------------------------------------------------- payloads


def add_payload_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("payloads (docs/decoders.md)")
    g.add_argument("--asyncapi", metavar="FILE",
                   help="check each message EVENT's data against its topic's schema in this AsyncAPI document")
    g.add_argument("--decode", action="append", default=[], metavar="GLOB=NAME[+NAME...]",
                   help="decode the data of EVENTs on matching topics (repeatable; first match wins), e.g. "
                   "'sensors.*=base64+msgpack'; built-ins: base64, hex, msgpack, cbor, auto")


@dataclass(frozen=True)
class PayloadArgs:
    """``--asyncapi FILE`` and the ``--decode GLOB=NAME`` specs, in order."""

    asyncapi: str | None = None
    decode: tuple[str, ...] = ()

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace) -> PayloadArgs:
        return cls(asyncapi=ns.asyncapi, decode=tuple(ns.decode))
