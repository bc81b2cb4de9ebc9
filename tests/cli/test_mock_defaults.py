"""The ``mock`` command, the mock server and the client take their defaults from limits.py."""

import dataclasses

import pytest

from inspector.cli.main import build_parser
from inspector.cli.mock_args import MockArgs
from inspector.cli.mock_cmd import config_from_args
from inspector.client.model import ClientConfig
from inspector.client.tokens import TokenSource
from inspector.mock.server import MockConfig
from inspector.protocol import backoff, limits

SPEC = {
    "ping_interval": limits.SERVER_PING_INTERVAL,
    "pong_timeout": limits.PONG_TIMEOUT,
    "max_missed_pongs": limits.MAX_MISSED_PONGS,
    "idle_timeout": limits.IDLE_TIMEOUT,
    "max_connections_per_token": limits.MAX_CONNECTIONS_PER_TOKEN,
    "max_subscriptions": limits.MAX_SUBSCRIPTIONS,
}


def test_spec_values():
    assert SPEC == {"ping_interval": 30.0, "pong_timeout": 10.0, "max_missed_pongs": 3, "idle_timeout": 60.0,
                    "max_connections_per_token": 8, "max_subscriptions": 64}
    assert (limits.MAX_MESSAGE_SIZE, limits.MAX_TOPIC_LENGTH, limits.MAX_PING_PAYLOAD) == (65536, 255, 64)


def test_mock_config_defaults_are_the_limits():
    config = MockConfig()
    assert {name: getattr(config, name) for name in SPEC} == SPEC
    assert config.max_message_size == limits.MAX_MESSAGE_SIZE


def test_cli_mock_defaults_are_the_limits_and_the_help_shows_them(capsys):
    parser = build_parser(open_file=False)
    args = parser.parse_args(["mock"])
    assert {name: getattr(args, name) for name in SPEC} == SPEC
    built = config_from_args(MockArgs.from_namespace(args))
    assert {name: getattr(built, name) for name in SPEC} == SPEC
    # everything the command does not set is the server's own default
    untouched = {f.name for f in dataclasses.fields(MockConfig)} - set(SPEC) - {
        "host", "port", "tokens", "token_ttl", "allow_origins"}
    assert all(getattr(built, name) == getattr(MockConfig(), name) for name in untouched)
    with pytest.raises(SystemExit):
        parser.parse_args(["mock", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert f"subscription_limit ERROR (default: {limits.MAX_SUBSCRIPTIONS})" in shown
    assert f"missed (default: {limits.PONG_TIMEOUT})" in shown


def test_client_defaults_are_the_limits():
    config = ClientConfig("ws://127.0.0.1:9/api/v2/realtime", TokenSource.literal("t"))
    assert config.pong_timeout == limits.PONG_TIMEOUT
    assert (config.backoff_initial, config.backoff_cap, config.backoff_reset_after) == (
        backoff.INITIAL, backoff.CAP, backoff.RESET_AFTER)
