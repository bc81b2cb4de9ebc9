"""What a connecting subcommand makes of its token and connection options before it connects:
the token source, the checked connect options, and the warnings they call for."""

from __future__ import annotations

import logging
import os
import sys
from urllib.parse import urlsplit

from inspector.cli.common_args import ConnectArgs, TokenArgs
from inspector.cli.errors import CliError
from inspector.client.model import ConnectOptions, cleartext_token_warning, parse_header
from inspector.client.tokens import TokenSource
from inspector.redact import install_on_root, register_secret


def token_source(args: TokenArgs) -> TokenSource:
    if args.token:
        return TokenSource.literal(args.token)
    if args.token_env:
        return TokenSource.env(args.token_env)
    if args.token_command:
        return TokenSource.command(args.token_command)
    raise CliError("a token is needed: use --token, --token-env VAR or --token-command CMD")


def connect_options(args: ConnectArgs, tokens: TokenArgs) -> ConnectOptions:
    """--cacert, --cert, --key, --key-pass-env, --insecure, --header, --origin, --subprotocol, --proxy."""
    headers = []
    for text in args.headers:
        try:
            headers.append(parse_header(text))
        except ValueError as exc:
            raise CliError(f"--header: {exc}") from None
    password = None
    var = args.key_pass_env
    if var:
        password = os.environ.get(var)
        if password is None:
            raise CliError(f"--key-pass-env: the environment variable {var} is not set")
        register_secret(password)
    proxy = args.proxy
    if proxy and "@" in proxy:
        register_secret(urlsplit(proxy if "://" in proxy else f"http://{proxy}").password)
    options = ConnectOptions(
        cacert=args.cacert, cert=args.cert, key=args.key, key_password=password, insecure=args.insecure,
        headers=tuple(headers), origin=args.origin, subprotocols=args.subprotocols, proxy=proxy,
        no_proxy=args.no_proxy)
    try:
        options.validate()
    except ValueError as exc:
        raise CliError(str(exc)) from None
    literal = tokens.token
    for name, value in headers:
        if literal and literal in value:
            raise CliError(f"--header {name!r} carries the token's value: use the token options")
    return options


def warn_insecure(options: ConnectOptions) -> None:
    if options.insecure:
        print("realtime-inspector: warning: --insecure: the server's certificate is NOT verified; "
              "anyone on the way can pose as the server and read the token", file=sys.stderr)


def warn_cleartext(url: str) -> None:
    warning = cleartext_token_warning(url)
    if warning:
        print(f"realtime-inspector: {warning}", file=sys.stderr)


def debug_logging(debug: bool) -> None:
    """--debug: every logger at DEBUG on stderr, through the redaction filter."""
    if debug:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        install_on_root()
