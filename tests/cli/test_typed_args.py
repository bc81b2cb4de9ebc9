"""Every option a subcommand parses reaches its typed arguments, under the option's own name."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from inspector.cli.check_client_args import CheckClientArgs
from inspector.cli.conform_args import ConformArgs
from inspector.cli.export_args import ExportArgs
from inspector.cli.load_args import LoadArgs
from inspector.cli.main import build_parser
from inspector.cli.mock_args import MockArgs
from inspector.cli.proxy_args import ProxyArgs
from inspector.cli.publish_args import PublishArgs
from inspector.cli.replay_args import ReplayArgs
from inspector.cli.tail_args import TailArgs
from inspector.cli.wireshark_args import WiresharkArgs

URL = "ws://127.0.0.1:9/api/v2/realtime"
COMMANDS: dict[str, tuple[Any, list[str]]] = {
    "mock": (MockArgs, []),
    "tail": (TailArgs, [URL]),
    "publish": (PublishArgs, [URL, "orders.eu", "1"]),
    "replay": (ReplayArgs, ["session.rirec"]),
    "conform": (ConformArgs, [URL]),
    "check-client": (CheckClientArgs, ["--", "my-client"]),
    "wireshark": (WiresharkArgs, []),
    "load": (LoadArgs, [URL]),
    "proxy": (ProxyArgs, ["--upstream", URL]),
    "export": (ExportArgs, ["session.rirec", "--arrow", "a.arrow", "--parquet", "a.parquet"]),
}
APP_ONLY = {"command", "self_test", "screenshot", "store_budget"}  # the app's own options, on every namespace


def flat(value: object) -> dict[str, object]:
    """A typed arguments object's leaves, by field name (shared groups are nested dataclasses)."""
    out: dict[str, object] = {}
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        out.update(flat(item) if dataclasses.is_dataclass(item) else {f.name: item})
    return out


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_parsed_option_is_a_typed_field_with_its_value(command: str) -> None:
    cls, rest = COMMANDS[command]
    ns = build_parser(open_file=False).parse_args([command, *rest])
    typed = cls.from_namespace(ns)
    parsed = {k: v for k, v in vars(ns).items() if k not in APP_ONLY}
    fields = flat(typed)
    fields.pop("debug", None)  # the app's --debug, carried by the commands that log
    parsed.pop("debug")
    assert set(fields) == set(parsed)
    for name, value in parsed.items():
        assert fields[name] == (tuple(value) if isinstance(value, list) else value), name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(typed, next(iter(dataclasses.fields(typed))).name, None)


def test_every_subcommand_is_named_and_named_by_its_module() -> None:
    """main's SUBCOMMANDS names each ``<name>_args`` module's command (a command's line reads only
    its own): one each way."""
    import importlib
    from pathlib import Path

    from inspector.cli import main as cli_main
    stems = (p.stem for p in Path(cli_main.__file__).parent.glob("*_args.py"))
    modules = {s for s in stems if hasattr(importlib.import_module(f"inspector.cli.{s}"), "NAME")}
    assert {f"{name.replace('-', '_')}_args" for name in cli_main.SUBCOMMANDS} == modules
    assert [cli_main.command_module(name).NAME for name in cli_main.SUBCOMMANDS] == list(cli_main.SUBCOMMANDS)
    assert set(COMMANDS) == set(cli_main.SUBCOMMANDS)
