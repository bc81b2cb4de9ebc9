"""Rules as people write them: ``--rule 'MATCH -> ACTION'`` and TOML or JSON files of tables
with the same keys. A mistake is one RuleError line naming where it is (the rule or file,
line and column) and what is wrong; the proxy does not start.

    --rule 'dir=s2c kind=EVENT topic=orders.* every=3 -> drop'
    --rule 'dir=c2s kind=PONG -> blackhole pings=true'
    --rule 'on=handshake conn=2 -> status code=503 body="try later"'

    [[rule]]                       # rules.toml
    dir = "s2c"
    kind = "EVENT"
    filter = "data.total > `100`"
    action = "replace"
    patch = {data = {total = 0}}
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from inspector.protocol.filters import FilterError, compile_filter
from inspector.protocol.frames import encode_body
from inspector.protocol.kinds import Kind
from inspector.proxy.rules import ACTIONS, CORRUPTIONS, HANDSHAKE_ACTIONS, Action, Match, Rule

_MATCH_KEYS = ("dir", "kind", "topic", "filter", "nth", "every", "times", "after", "before", "p", "seed", "conn", "on")
_ACTION_KEYS = ("ms", "jitter", "reorder", "patch", "hex", "opcode", "to", "when", "code", "reason", "abrupt", "side",
                "pings", "size", "mode", "body", "frame_kind")


class RuleError(ValueError):
    """One line: where and what."""


class _Bad(ValueError):
    def __init__(self, key: str | None, message: str) -> None:
        super().__init__(message)
        self.key = key


def _int(key: str, value: Any, low: int = 1) -> int:
    if isinstance(value, bool):
        raise _Bad(key, f"{key} must be a whole number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _Bad(key, f"{key} must be a whole number, not {value!r}") from None
    if number < low:
        raise _Bad(key, f"{key} must be at least {low}")
    return number


def _float(key: str, value: Any, low: float = 0.0, high: float | None = None) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _Bad(key, f"{key} must be a number, not {value!r}") from None
    if number < low or (high is not None and number > high):
        raise _Bad(key, f"{key} must be between {low:g} and {high:g}" if high is not None
                   else f"{key} must be at least {low:g}")
    return number


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "yes", "1"):
        return True
    if str(value).lower() in ("false", "no", "0"):
        return False
    raise _Bad(key, f"{key} must be true or false, not {value!r}")


def _choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise _Bad(key, f"{key} must be one of {', '.join(choices)}, not {value!r}")
    return str(value)


def _json(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as exc:
        raise _Bad(key, f"{key} is not JSON ({exc})") from None


def _hex(key: str, value: Any) -> bytes:
    try:
        return bytes.fromhex(str(value))
    except ValueError:
        raise _Bad(key, f"{key} is not hex") from None


def _match(fields: dict[str, Any]) -> tuple[Match, bool]:
    kinds = fields.get("kind")
    kind_set = frozenset(k.strip().upper() for k in (kinds if isinstance(kinds, list) else str(kinds).split(","))
                         ) if kinds is not None else frozenset()
    try:
        flt = compile_filter(fields["filter"]) if "filter" in fields else None
    except FilterError as exc:
        raise _Bad("filter", f"filter: {exc}") from None
    g = fields.get
    m = Match(
        direction=_choice("dir", g("dir"), ("c2s", "s2c")) if "dir" in fields else None, kinds=kind_set,
        topic=str(g("topic")) if "topic" in fields else None, filter=flt,
        nth=_int("nth", g("nth")) if "nth" in fields else None,
        every=_int("every", g("every")) if "every" in fields else None,
        times=_int("times", g("times")) if "times" in fields else None,
        after_ms=_float("after", g("after")) if "after" in fields else None,
        before_ms=_float("before", g("before")) if "before" in fields else None,
        probability=_float("p", g("p"), 0.0, 1.0) if "p" in fields else None,
        seed=_int("seed", g("seed"), 0) if "seed" in fields else None,
        conn=_int("conn", g("conn")) if "conn" in fields else None)
    handshake = _choice("on", g("on"), ("handshake", "frame")) == "handshake" if "on" in fields else False
    return m, handshake


def _payload(fields: dict[str, Any]) -> bytes | None:
    if "hex" in fields:
        return _hex("hex", fields["hex"])
    if "body" in fields and "frame_kind" in fields:
        name = str(fields["frame_kind"]).upper()
        if name not in Kind.__members__:
            raise _Bad("frame_kind", f"frame_kind must be one of {', '.join(Kind.__members__)}")
        body = _json("body", fields["body"])
        try:
            return encode_body(Kind[name], body)
        except ValueError as exc:
            raise _Bad("body", f"body is not JSON the codec can write: {exc}") from None
    return None


def _action(name: str, fields: dict[str, Any], handshake: bool) -> Action:
    g = fields.get
    names = HANDSHAKE_ACTIONS if handshake else ACTIONS
    _choice("action", name, names)
    if name == "replace" and "patch" not in fields and "hex" not in fields:
        raise _Bad("action", "replace needs patch=JSON or hex=HEX")
    if name == "fragment" and "size" not in fields:
        raise _Bad("action", "fragment needs size=BYTES")
    if name == "inject" and _payload(fields) is None:
        raise _Bad("action", "inject needs hex=HEX, or frame_kind=KIND with body=JSON")
    code_default = 401 if name == "status" else 1000
    return Action(
        name=name, ms=_float("ms", g("ms", 0)), jitter_ms=_float("jitter", g("jitter", 0)),
        reorder=_bool("reorder", g("reorder", False)), patch=_json("patch", g("patch")), raw=_payload(fields),
        opcode=_int("opcode", g("opcode", 2), 0), to=_choice("to", g("to", "peer"), ("peer", "sender")),
        when=_choice("when", g("when", "before"), ("before", "after")), code=_int("code", g("code", code_default)),
        reason=str(g("reason", g("body", "")) if name != "inject" else g("reason", "")),
        abrupt=_bool("abrupt", g("abrupt", False)),
        side=_choice("side", g("side", "both"), ("client", "server", "both")),
        answer_pings=_bool("pings", g("pings", False)), size=_int("size", g("size", 1)),
        corrupt=_choice("mode", g("mode", "json"), CORRUPTIONS))


def rule_from_fields(fields: dict[str, Any], action: str, text: str = "", id: int = 0) -> Rule:
    """A Rule from its keys; raises _Bad naming the key at fault."""
    for key in fields:
        if key not in _MATCH_KEYS and key not in _ACTION_KEYS:
            raise _Bad(key, f"unknown key {key!r}")
    match, handshake = _match(fields)
    return Rule(match, _action(action, fields, handshake), text, handshake, id)


def rule_from_fields_checked(fields: dict[str, Any], action: str, where: str) -> Rule:
    """rule_from_fields with its mistake as one RuleError line naming the key."""
    try:
        return rule_from_fields(fields, action, where)
    except _Bad as exc:
        raise RuleError(f"{where}: {exc}") from None


# ---------------------------------------------------------------- --rule 'MATCH -> ACTION'

_TOKEN = re.compile(r"""(?:[^\s'"]+|'[^']*'|"[^"]*")+""")


def _tokens(text: str) -> list[tuple[int, str]]:
    """Words with their 0-based column; quotes group and are removed (shell-like)."""
    return [(m.start(), re.sub(r"""'([^']*)'|"([^"]*)\"""", lambda q: q.group(1) or q.group(2) or "", m.group()))
            for m in _TOKEN.finditer(text)]


def parse_rule(text: str, where: str = "--rule", id: int = 0) -> Rule:
    tokens = _tokens(text)
    arrow = next((i for i, (_, t) in enumerate(tokens) if t == "->"), None)
    if arrow is None or arrow + 1 >= len(tokens):
        raise RuleError(f"{where}, column {len(text) + 1}: a rule is 'MATCH -> ACTION' (e.g. 'kind=PONG -> drop')")
    fields: dict[str, Any] = {}
    columns: dict[str | None, int] = {"action": tokens[arrow + 1][0]}
    for col, token in tokens[:arrow] + tokens[arrow + 2:]:
        key, eq, value = token.partition("=")
        if not eq:
            raise RuleError(f"{where}, column {col + 1}: expected KEY=VALUE, not {token!r}")
        fields[key] = value
        columns[key] = col
    try:
        return rule_from_fields(fields, tokens[arrow + 1][1], text, id)
    except _Bad as exc:
        raise RuleError(f"{where}, column {columns.get(exc.key, 0) + 1}: {exc}") from None


# ---------------------------------------------------------------- files


def load_rules(path: str, first_id: int = 1) -> list[Rule]:
    """The rules of a TOML (``[[rule]]`` tables) or JSON (a list, or {"rule": [...]}) file."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    is_json = path.endswith(".json") or (text.lstrip()[:1] in ("[", "{") and not text.lstrip().startswith("[["))
    try:
        data: Any = json.loads(text) if is_json else tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise RuleError(f"{path}, line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"line {found.group(1)}, column {found.group(2)}" if found else "line 1, column 1"
        raise RuleError(f"{path}, {where}: {str(exc).split(' (at line')[0]}") from None
    tables = data.get("rule", data.get("rules")) if isinstance(data, dict) else data
    if not isinstance(tables, list):
        raise RuleError(f"{path}, line 1, column 1: expected a list of rules ([[rule]] tables)")
    rules = []
    for n, table in enumerate(tables):
        if not isinstance(table, dict):
            raise RuleError(f"{path}, {_locate(text, tables, n, None, is_json)}: a rule must be a table")
        fields = {k: v for k, v in table.items() if k != "action"}
        try:
            rules.append(rule_from_fields(fields, str(table.get("action", "")), json.dumps(table, default=str),
                                          first_id + n))
        except _Bad as exc:
            raise RuleError(f"{path}, {_locate(text, tables, n, exc.key, is_json)}: rule {n + 1}: {exc}") from None
    return rules


def _locate(text: str, tables: list[Any], n: int, key: str | None, is_json: bool) -> str:
    """Line and column of ``key`` in the ``n``-th rule: its k-th occurrence in the file, where k counts
    the rules up to ``n`` that hold it (the parsers keep no positions)."""
    key = key or "action"
    k = sum(1 for t in tables[:n + 1] if isinstance(t, dict) and key in t)
    pattern = re.compile(rf'"{re.escape(key)}"\s*:' if is_json else rf"(?m)^[ \t]*{re.escape(key)}[ \t]*=")
    hits = list(pattern.finditer(text))
    if not k or len(hits) < k:
        return "line 1, column 1"
    start = hits[k - 1].start()
    if not is_json:
        start += len(hits[k - 1].group()) - len(hits[k - 1].group().lstrip())
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return f"line {line}, column {column}"
