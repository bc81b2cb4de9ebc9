"""Payload decoders: turn what a topic carries (base64 text, msgpack bytes, ...) into a value.

The interface (docs/decoders.md) is duck-typed; a decoder is any object with

- ``name``: what a topic setting calls it (``"base64"``);
- ``scope``: ``"value"`` (an EVENT's ``data``, or what the previous decoder of a chain made)
  or ``"frame"`` (the whole frame's bytes, kind byte first);
- ``score(value) -> float``: 0 when it cannot apply, up to 1 when it surely does;
- ``decode(value) -> Decoded`` (a value and a one-line summary), raising any exception when it fails;
- optionally ``encode(value) -> Any``, the reverse, for publishing.

Built-ins are base64, hex, msgpack and cbor; others come from the ``realtime_inspector.decoders``
entry-point group. A topic setting maps a glob to a chain: ``{"sensors.*": "base64+msgpack"}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Protocol, runtime_checkable

ENTRY_POINT_GROUP = "realtime_inspector.decoders"
VALUE, FRAME = "value", "frame"
SUMMARY_MAX = 160


@dataclass(frozen=True)
class Decoded:
    value: Any
    summary: str


@runtime_checkable
class Decoder(Protocol):
    name: str
    scope: str

    def score(self, value: Any) -> float: ...

    def decode(self, value: Any) -> Decoded: ...


def short_json(value: Any, limit: int = SUMMARY_MAX) -> str:
    """A one-line JSON view of a decoded value (bytes shown as hex)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_jsonable)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def plain(value: Any) -> Any:
    """A decoded value as JSON types only (msgpack and CBOR have bytes, non-string keys, tags)."""
    return json.loads(json.dumps(value, default=_jsonable, allow_nan=True))


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"needs bytes, got {_type_name(value)}")


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            type(None): "null", int: "a number", float: "a number"}.get(type(value), type(value).__name__)


_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_HEX = re.compile(r"(?:0[xX])?(?:[0-9a-fA-F]{2}\s?)*")


class Base64Decoder:
    """Both alphabets: standard, and URL-safe (padding optional) as JWTs and many web APIs write it."""

    name, scope = "base64", VALUE

    def score(self, value: Any) -> float:
        if not isinstance(value, str) or not value.strip():
            return 0.0
        text = value.strip()
        if _BASE64.fullmatch(text) and len(text) % 4 == 0:
            return 0.8
        return 0.5 if _BASE64URL.fullmatch(text) and len(text) % 4 != 1 else 0.0

    def decode(self, value: Any) -> Decoded:
        if not isinstance(value, str):
            raise TypeError(f"needs a string, got {_type_name(value)}")
        text = value.strip()
        try:
            if _BASE64.fullmatch(text):
                raw = base64.b64decode(text, validate=True)
            elif _BASE64URL.fullmatch(text):
                raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            else:
                raise ValueError
        except (binascii.Error, ValueError):
            raise ValueError("not base64") from None
        return Decoded(raw, f"{len(raw)} bytes: {raw[:24].hex(' ')}{' …' if len(raw) > 24 else ''}")

    def encode(self, value: Any) -> str:
        return base64.b64encode(_as_bytes(value)).decode("ascii")


class HexDecoder:
    name, scope = "hex", VALUE

    def score(self, value: Any) -> float:
        ok = isinstance(value, str) and value.strip() and _HEX.fullmatch(value.strip())
        return 0.6 if ok else 0.0

    def decode(self, value: Any) -> Decoded:
        if not isinstance(value, str):
            raise TypeError(f"needs a string, got {_type_name(value)}")
        text = value.strip()
        if text[:2].lower() == "0x":
            text = text[2:]
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise ValueError("not hex") from None
        return Decoded(raw, f"{len(raw)} bytes")

    def encode(self, value: Any) -> str:
        return _as_bytes(value).hex()


class MsgpackDecoder:
    name, scope = "msgpack", VALUE

    def score(self, value: Any) -> float:
        return 0.5 if isinstance(value, (bytes, bytearray)) and value else 0.0

    # msgpack, cbor2 and the plugins' entry points load when first used, not with the app
    def decode(self, value: Any) -> Decoded:
        import msgpack  # type: ignore[import-untyped]
        out = msgpack.unpackb(_as_bytes(value), raw=False, strict_map_key=False)
        return Decoded(out, "msgpack " + short_json(out))

    def encode(self, value: Any) -> bytes:
        import msgpack
        packed: bytes = msgpack.packb(value, use_bin_type=True)  # msgpack's own types leave it Any
        return packed


class CborDecoder:
    name, scope = "cbor", VALUE

    def score(self, value: Any) -> float:
        return 0.5 if isinstance(value, (bytes, bytearray)) and value else 0.0

    def decode(self, value: Any) -> Decoded:
        import cbor2
        out = cbor2.loads(_as_bytes(value))
        return Decoded(out, "cbor " + short_json(out))

    def encode(self, value: Any) -> bytes:
        import cbor2
        return cbor2.dumps(value)


BUILTINS: tuple[Any, ...] = (Base64Decoder(), HexDecoder(), MsgpackDecoder(), CborDecoder())


class DecoderError(ValueError):
    """A setting or a decoder that cannot be used, as one line."""


def _instance(obj: Any) -> Any:
    return obj() if isinstance(obj, type) else obj


def _check(decoder: Any, where: str) -> Any:
    name = getattr(decoder, "name", None)
    if not isinstance(name, str) or not name or "+" in name or "=" in name:
        raise DecoderError(f"{where}: a decoder needs a name without '+' or '='")
    if getattr(decoder, "scope", None) not in (VALUE, FRAME):
        raise DecoderError(f"{where}: scope must be 'value' or 'frame'")
    if not callable(getattr(decoder, "decode", None)) or not callable(getattr(decoder, "score", None)):
        raise DecoderError(f"{where}: needs score() and decode()")
    return decoder


class Registry:
    """Decoders by name: the built-ins, then those installed under the entry-point group.
    A plugin that fails to load is listed in ``problems`` and left out."""

    def __init__(self, extra: tuple[Any, ...] = (), plugins: bool = True):
        self.decoders: dict[str, Any] = {d.name: d for d in BUILTINS}
        self.problems: list[str] = []
        if plugins:
            from importlib.metadata import entry_points
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                try:
                    self.add(_instance(ep.load()), f"plugin {ep.name} ({ep.value})")
                except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the app
                    self.problems.append(f"decoder plugin {ep.name}: {exc}")
        for decoder in extra:
            self.add(decoder, repr(getattr(decoder, "name", decoder)))

    def add(self, decoder: Any, where: str) -> None:
        decoder = _check(decoder, where)
        self.decoders[decoder.name] = decoder

    def chain(self, spec: str) -> list[Any]:
        """``"base64+msgpack"`` → the decoders, in order; ``auto`` picks the best-scoring one."""
        names = [n.strip() for n in spec.split("+")]
        out = []
        for name in names:
            if name == "auto":
                out.append(name)
            elif name in self.decoders:
                out.append(self.decoders[name])
            else:
                known = ", ".join(sorted(self.decoders)) or "none"
                raise DecoderError(f"unknown decoder {name!r} (known: {known}, auto)")
        if any(not isinstance(d, str) and d.scope == FRAME for d in out[1:]):
            raise DecoderError(f"{spec!r}: a whole-frame decoder can only come first")
        return out

    def best(self, value: Any) -> Any | None:
        scored = [(d.score(value), d) for d in self.decoders.values() if d.scope == VALUE]
        scored = [(s, d) for s, d in scored if s > 0]
        return max(scored, key=lambda sd: sd[0])[1] if scored else None


@dataclass(frozen=True)
class Rule:
    glob: str
    spec: str
    chain: tuple[Any, ...]


def parse_rules(settings: dict[str, str] | list[str], registry: Registry) -> list[Rule]:
    """``{"sensors.*": "base64+msgpack"}`` or ``["sensors.*=base64+msgpack"]`` → rules, first match wins."""
    pairs: list[tuple[str, str]] = []
    if isinstance(settings, dict):
        pairs = [(str(k), str(v)) for k, v in settings.items()]
    else:
        for text in settings:
            glob, sep, spec = text.partition("=")
            if not sep or not glob or not spec:
                raise DecoderError(f"{text!r}: expected GLOB=DECODER[+DECODER...]")
            pairs.append((glob, spec))
    return [Rule(glob, spec, tuple(registry.chain(spec))) for glob, spec in pairs]


def rule_for(rules: list[Rule], topic: str) -> Rule | None:
    for rule in rules:
        if fnmatchcase(topic, rule.glob):
            return rule
    return None


@dataclass(frozen=True)
class Outcome:
    """What a chain made of one frame: the value and summary, or an error line."""

    decoders: str
    value: Any = None
    summary: str = ""
    error: str | None = None


def run_chain(rule: Rule, registry: Registry, data_value: Any, frame: bytes) -> Outcome:
    """Apply a rule's chain; any exception a decoder raises becomes the outcome's error."""
    value: Any = frame if rule.chain and rule.chain[0] != "auto" and rule.chain[0].scope == FRAME else data_value
    summary = ""
    for step in rule.chain:
        decoder = registry.best(value) if step == "auto" else step
        if decoder is None:
            return Outcome(rule.spec, error=f"auto: no decoder applies to {_type_name(value)}")
        try:
            if decoder.score(value) <= 0:
                return Outcome(rule.spec, error=f"{decoder.name}: does not apply to {_type_name(value)}")
            result = decoder.decode(value)
            value, summary = result.value, str(result.summary)
        except Exception as exc:  # noqa: BLE001 - a decoder's failure is the row's, never the app's
            return Outcome(rule.spec, error=f"{decoder.name}: {_one_line(exc)}")
    return Outcome(rule.spec, plain(value), _one_line_text(summary)[:SUMMARY_MAX])


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return _one_line_text(text)[:SUMMARY_MAX]


def _one_line_text(text: str) -> str:
    return " ".join(text.split())
