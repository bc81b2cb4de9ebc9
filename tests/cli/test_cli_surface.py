"""The command line's surface is pinned: every parser's help (options, defaults, help texts,
epilogs), every subcommand's defaults, and the exit code and lines of usage and option errors.

cli_surface.json was written from the command line as it was before the command modules got
their own parsers; the code may move, the surface may not. After a deliberate change (or a
Python whose argparse lays help out differently) rewrite it with
``python tests/cli/test_cli_surface.py --write`` and read the diff.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from inspector.cli.main import build_parser, main, subcommands

FIXTURE = Path(__file__).with_name("cli_surface.json")
COLUMNS = "100"

# argv that prints a help: the parser main() builds for it is the one pinned
HELPS = [["--help"], ["app.rirec", "--help"], *([cmd, "--help"] for cmd in (
    "mock", "tail", "replay", "publish", "conform", "check-client", "wireshark", "load", "proxy", "export"))]

# the fewest arguments each parser takes; everything else is its default
MINIMAL = {
    "app": [],
    "app-file": ["app.rirec"],
    "mock": ["mock"],
    "tail": ["tail", "ws://127.0.0.1:9/api/v2/realtime"],
    "replay": ["replay", "session.rirec"],
    "publish": ["publish", "ws://127.0.0.1:9", "orders.eu", "1"],
    "conform": ["conform"],
    "check-client": ["check-client"],
    "wireshark": ["wireshark"],
    "load": ["load", "ws://127.0.0.1:9/api/v2/realtime"],
    "proxy": ["proxy", "--upstream", "ws://127.0.0.1:9/api/v2/realtime"],
    "export": ["export", "session.rirec"],
}

URL = "ws://127.0.0.1:9/api/v2/realtime"
TOKEN = "surface-token-7f3a"  # registered for scrubbing by main(): one no other test prints
# each fails before any connection, file or child process is made
ERRORS = [
    ["tail"],
    ["tail", URL, "--token", TOKEN, "--token-env", "V"],
    ["tail", URL, "--auth", "cookie"],
    ["tail", URL, "--proxy", "http://p:1", "--no-proxy"],
    ["tail", URL, "--count", "x"],
    ["tail", URL],
    ["tail", URL, "--token", TOKEN, "--count", "0"],
    ["tail", URL, "--token", TOKEN, "--duration", "0"],
    ["tail", URL, "--token", TOKEN, "--ping-every", "-1"],
    ["tail", URL, "--token", TOKEN, "--backoff-scale", "0"],
    ["tail", URL, "--token", TOKEN, "--subscribe", "bad topic"],
    ["tail", URL, "--token", TOKEN, "--subscribe", "orders=data.total >"],
    ["tail", URL, "--token", TOKEN, "--header", "no colon"],
    ["tail", URL, "--token", TOKEN, "--header", f"X-Echo: {TOKEN}"],
    ["tail", URL, "--token", TOKEN, "--key-pass-env", "RT_SURFACE_UNSET_VAR"],
    ["tail", URL, "--token", TOKEN, "--key", "k.pem"],
    ["tail", URL, "--token", TOKEN, "--decode", "nonsense"],
    ["tail", "http://127.0.0.1:9/x", "--token", TOKEN],
    ["publish", "ws://127.0.0.1:9", "orders.eu", "1"],
    ["publish", "ws://127.0.0.1:9", "--token", TOKEN, "bad topic", "1"],
    ["publish", "ws://127.0.0.1:9", "--token", TOKEN, "orders.eu", "1", "--count", "0"],
    ["publish", "ws://127.0.0.1:9", "--token", TOKEN, "orders.eu", "1", "--rate", "0"],
    ["publish", "ws://127.0.0.1:9", "--token", TOKEN, "orders.eu", "{nope"],
    ["proxy"],
    ["proxy", "--upstream", URL, "--listen", "nowhere"],
    ["proxy", "--upstream", URL, "--rule", "kind=EVENT frob=1 -> drop"],
    ["proxy", "--upstream", "http://127.0.0.1:9/x"],
    ["mock", "--port", "70000"],
    ["mock", "--ping-interval", "0"],
    ["mock", "--max-subscriptions", "0"],
    ["mock", "--token", ""],
    ["mock", "--allow-origin", "not an origin"],
    ["mock", "--fault", "no-such-fault"],
    ["mock", "--tls-key", "k.pem"],
    ["mock", "--tls-self-signed", "--tls-cert", "c.pem"],
    ["mock", "--tls-client-ca", "ca.pem"],
    ["mock", "--asyncapi", "api.yaml", "--every", "0"],
    ["mock", "--replay", "x.rirec", "--speed", "-1"],
    ["replay"],
    ["replay", "x.rirec", "--token", TOKEN],
    ["replay", "x.rirec", "--speed", "-1"],
    ["conform"],
    ["conform", "--cases", "no-such-case"],
    ["conform", URL, "--time-scale", "0"],
    ["conform", URL, "--control", "ws://h", "--publish-command", "x"],
    ["conform", URL],
    ["check-client"],
    ["check-client", "--cases", "no-such-case"],
    ["check-client", "--time-scale", "0", "--", "x"],
    ["load", URL],
    ["load", URL, "--run-time", "1s"],
    ["load", URL, "--run-time", "1s", "--worker", "--master"],
    ["load", URL, "--run-time", "1s", "--subscribe", "t", "--users", "0"],
    ["load", URL, "--token", TOKEN, "--tokens-file", "f"],
    ["wireshark", "--install", "--plugin-dir"],
    ["no-such-command-or-file", "--bogus"],
]


def _run(argv: list[str]) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code: object = main(list(argv))
        except SystemExit as exc:
            code = exc.code
    return {"argv": argv, "code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def _defaults(argv: list[str]) -> dict[str, str]:
    first = argv[0] if argv else None
    command = first in subcommands()
    parser = build_parser(open_file=not command, commands=command or first is None)
    return {name: repr(value) for name, value in sorted(vars(parser.parse_args(argv)).items())}


def surface() -> dict[str, Any]:
    """What the pinned file holds, from the command line as it is now."""
    return {
        "help": {" ".join(argv): _run(argv) for argv in HELPS},
        "defaults": {name: _defaults(argv) for name, argv in MINIMAL.items()},
        "errors": [_run(argv) for argv in ERRORS],
    }


@pytest.fixture
def fixed_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", COLUMNS)
    monkeypatch.delenv("RT_SURFACE_UNSET_VAR", raising=False)
    monkeypatch.chdir(tmp_path)  # the files the errors name do not exist here


def test_help_of_every_parser_is_as_pinned(fixed_environment: None) -> None:
    pinned = json.loads(FIXTURE.read_text(encoding="utf-8"))["help"]
    assert {" ".join(argv): _run(argv) for argv in HELPS} == pinned


def test_defaults_of_every_subcommand_are_as_pinned(fixed_environment: None) -> None:
    pinned = json.loads(FIXTURE.read_text(encoding="utf-8"))["defaults"]
    assert {name: _defaults(argv) for name, argv in MINIMAL.items()} == pinned


@pytest.mark.parametrize("index", range(len(ERRORS)), ids=[" ".join(a) for a in ERRORS])
def test_usage_and_option_errors_are_as_pinned(fixed_environment: None, index: int) -> None:
    pinned = json.loads(FIXTURE.read_text(encoding="utf-8"))["errors"]
    assert len(pinned) == len(ERRORS)
    assert _run(ERRORS[index]) == pinned[index]


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    import tempfile

    os.environ["COLUMNS"] = COLUMNS
    os.environ.pop("RT_SURFACE_UNSET_VAR", None)
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        table = surface()
    FIXTURE.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
