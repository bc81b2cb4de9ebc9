"""A user's AsyncAPI document as a contract for EVENT data.

Topics are the document's channels whose address is a topic name (``orders.eu``, or
``orders.{region}`` with parameters); the payload of a channel's messages describes the
``data`` of a ``"type": "message"`` EVENT on that topic. Presence events are the protocol's,
not the topic's, and are never checked. YAML is read with PyYAML, ``$ref`` (inside the
document or to files beside it) resolved with ``referencing``, data validated with ``jsonschema``
under JSON Schema draft 7, which AsyncAPI's Schema Object extends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin, urlsplit

# yaml, jsonschema and referencing load with the first contract, not with the app
if TYPE_CHECKING:
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource

from inspector.protocol.topics import is_valid_topic

_PARAM = re.compile(r"\{([^{}]+)\}")
_PARAM_VALUE = "[a-z0-9_-]+"  # a parameter stands for one dot-free part of a topic name


class ContractError(ValueError):
    """A document that cannot be used, as one line."""


@dataclass(frozen=True)
class Violation:
    """Where EVENT data breaks its topic's schema: the JSON pointer into ``data`` and the rule."""

    pointer: str
    rule: str
    expected: Any
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"pointer": self.pointer, "rule": self.rule, "expected": self.expected, "message": self.message}

    def line(self) -> str:
        return f"{self.pointer or '/'}: {self.rule}: {self.message}"


@dataclass
class _Channel:
    address: str
    pattern: re.Pattern[str]
    topics: list[str]                       # concrete names (the address, or its parameters' values)
    payloads: list[str]                     # absolute URIs of the message payload schemas
    examples: list[Any]


def _pointer(path: Iterator[Any] | Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ContractError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ContractError(f"{path.name} is not UTF-8 text") from None
    import yaml
    try:
        return yaml.safe_load(text)  # JSON is YAML too
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not YAML"
        raise ContractError(f"{path.name}{where}: {problem}") from None


def _retrieve(uri: str) -> Resource[Any]:
    """Referenced files beside the document, never the network."""
    from referencing import Resource
    from referencing.exceptions import NoSuchResource
    from referencing.jsonschema import DRAFT7
    parts = urlsplit(uri)
    if parts.scheme != "file":
        raise NoSuchResource(uri)
    return Resource.from_contents(_read(Path(parts.path)), default_specification=DRAFT7)


class Contract:
    def __init__(self, document: Any, uri: str = "urn:realtime-inspector:contract", name: str = "contract"):
        if not isinstance(document, dict):
            raise ContractError(f"{name}: not an AsyncAPI document (no mapping at the top)")
        version = str(document.get("asyncapi", ""))
        if version[:2] not in ("2.", "3."):
            raise ContractError(f"{name}: not an AsyncAPI 2.x or 3.x document (asyncapi: {version or 'missing'})")
        self.name = name
        self.document = document
        self.uri = uri
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT7
        resource = Resource.from_contents(document, default_specification=DRAFT7)
        self.registry: Registry[Any] = Registry(retrieve=_retrieve).with_resource(  # type: ignore[call-arg]
            uri, resource)
        self._resolver = self.registry.resolver(uri)
        self._validators: dict[str, list[Draft7Validator]] = {}
        self.channels = [c for c in self._channels(version) if c.payloads or c.examples]

    @classmethod
    def load(cls, path: str | Path) -> Contract:
        p = Path(path).resolve()
        return cls(_read(p), p.as_uri(), p.name)

    # ------------------------------------------------------------ reading

    def _lookup(self, uri: str) -> Any:
        from referencing.exceptions import NoSuchResource, Unresolvable
        try:
            return self._resolver.lookup(uri).contents
        except (Unresolvable, NoSuchResource) as exc:
            raise ContractError(f"{self.name}: cannot resolve $ref {uri}: {exc}") from None

    def _follow(self, uri: str, node: Any) -> tuple[str, Any]:
        """A node and its absolute URI, past any chain of $ref."""
        for _ in range(50):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return uri, node
            uri = _join(uri, node["$ref"])
            node = self._lookup(uri)
        raise ContractError(f"{self.name}: $ref loop at {uri}")

    def _at(self, uri: str, *keys: str) -> str:
        base, frag = urldefrag(uri)
        return f"{base}#{frag}{_pointer(keys)}"

    def _channels(self, version: str) -> Iterator[_Channel]:
        channels = self.document.get("channels") or {}
        if not isinstance(channels, dict):
            return
        for key, raw in channels.items():
            uri, channel = self._follow(self._at(self.uri + "#", "channels", str(key)), raw)
            if not isinstance(channel, dict):
                continue
            address = str(key) if version.startswith("2.") else channel.get("address")
            if not isinstance(address, str) or address.startswith("/"):
                continue
            messages = list(self._messages(uri, channel, version))
            payloads, examples = [], []
            for m_uri, message in messages:
                if "payload" not in message:
                    continue
                p_uri, payload = self._follow(self._at(m_uri, "payload"), message["payload"])
                if isinstance(payload, dict) and "schemaFormat" in payload and "schema" in payload:
                    p_uri = self._at(p_uri, "schema")
                payloads.append(p_uri)
                examples.extend(self._examples(message, p_uri))
            yield _Channel(address, _address_pattern(address, self._params(uri, channel)),
                           _expand(address, self._params(uri, channel)), payloads, examples)

    def _messages(self, uri: str, channel: dict[str, Any], version: str) -> Iterator[tuple[str, dict[str, Any]]]:
        if version.startswith("3."):
            for name, raw in (channel.get("messages") or {}).items():
                m_uri, message = self._follow(self._at(uri, "messages", str(name)), raw)
                if isinstance(message, dict):
                    yield m_uri, message
            return
        for op in ("subscribe", "publish"):  # 2.x: a message, or oneOf messages, under each operation
            o_uri, operation = self._follow(self._at(uri, op), channel.get(op))
            if not isinstance(operation, dict) or "message" not in operation:
                continue
            m_uri, message = self._follow(self._at(o_uri, "message"), operation["message"])
            if isinstance(message, dict) and isinstance(message.get("oneOf"), list):
                for i, raw in enumerate(message["oneOf"]):
                    one_uri, one = self._follow(self._at(m_uri, "oneOf", str(i)), raw)
                    if isinstance(one, dict):
                        yield one_uri, one
            elif isinstance(message, dict):
                yield m_uri, message

    def _params(self, uri: str, channel: dict[str, Any]) -> dict[str, list[str]]:
        """Each address parameter's known values (enum, default, examples)."""
        out: dict[str, list[str]] = {}
        for name, raw in (channel.get("parameters") or {}).items():
            _, param = self._follow(self._at(uri, "parameters", str(name)), raw)
            if not isinstance(param, dict):
                continue
            schema: dict[str, Any] = param["schema"] if isinstance(param.get("schema"), dict) else param  # 2.x
            values = list(schema.get("enum") or []) + list(schema.get("examples") or [])
            if "default" in schema:
                values.append(schema["default"])
            out[str(name)] = list(dict.fromkeys(str(v) for v in values))
        return out

    def _examples(self, message: dict[str, Any], payload_uri: str) -> list[Any]:
        found = [ex["payload"] for ex in message.get("examples") or [] if isinstance(ex, dict) and "payload" in ex]
        if found:
            return found
        schema = self._lookup(payload_uri)
        if isinstance(schema, dict):
            found = list(schema.get("examples") or [])
            if not found and "const" in schema:
                found = [schema["const"]]
            if not found and "default" in schema:
                found = [schema["default"]]
        return found

    # ------------------------------------------------------------ using

    def channel_of(self, topic: str) -> _Channel | None:
        for channel in self.channels:
            if channel.pattern.fullmatch(topic):
                return channel
        return None

    def knows(self, topic: str) -> bool:
        return self.channel_of(topic) is not None

    def _validators_for(self, topic: str) -> list[Draft7Validator]:
        found = self._validators.get(topic)
        if found is None:
            from jsonschema import Draft7Validator
            channel = self.channel_of(topic)
            found = [Draft7Validator({"$ref": uri}, registry=self.registry) for uri in channel.payloads] \
                if channel is not None else []
            self._validators[topic] = found
        return found

    def check(self, topic: str, data: Any) -> Violation | None:
        """None when ``data`` fits one of the topic's messages, or the topic has none."""
        validators = self._validators_for(topic)
        if not validators:
            return None
        from jsonschema.exceptions import best_match
        from referencing.exceptions import NoSuchResource, Unresolvable
        worst = None
        for validator in validators:
            try:
                error = best_match(validator.iter_errors(data))
            except (Unresolvable, NoSuchResource) as exc:
                return Violation("", "$ref", None, f"the schema cannot be resolved: {exc}")
            if error is None:
                return None
            if worst is None:
                worst = error
        assert worst is not None
        return Violation(_pointer(worst.absolute_path), str(worst.validator), _plain(worst.validator_value),
                         worst.message)

    def check_body(self, body: Any) -> Violation | None:
        """An EVENT body as decoded JSON: its ``data`` checked when it is a message event."""
        if not isinstance(body, dict) or body.get("type") != "message" or not isinstance(body.get("topic"), str):
            return None
        if "data" not in body:
            return None
        return self.check(body["topic"], body["data"])

    def examples(self) -> list[tuple[str, list[Any]]]:
        """(topic, example data values) for every concrete topic with examples."""
        return [(topic, list(c.examples)) for c in self.channels if c.examples for topic in c.topics]

    def topic_suggestions(self) -> list[str]:
        """Topic names the document mentions: channel addresses, and the const, enum and
        examples of any ``topic`` property."""
        names = [t for c in self.channels for t in c.topics]
        names += [v for v in _topic_values(self.document) if isinstance(v, str)]
        return sorted({n for n in names if is_valid_topic(n)})


def _join(base: str, ref: str) -> str:
    """``urljoin``, also for a document without a URL of its own (a ``urn:``, which urljoin leaves out)."""
    return urldefrag(base)[0] + ref if ref.startswith("#") else urljoin(base, ref)


def _plain(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)


def _address_pattern(address: str, params: dict[str, list[str]]) -> re.Pattern[str]:
    out, pos = [], 0
    for m in _PARAM.finditer(address):
        out.append(re.escape(address[pos:m.start()]))
        values = params.get(m.group(1))
        out.append("(?:" + "|".join(map(re.escape, values)) + ")" if values else _PARAM_VALUE)
        pos = m.end()
    out.append(re.escape(address[pos:]))
    return re.compile("".join(out))


def _expand(address: str, params: dict[str, list[str]]) -> list[str]:
    names = [address]
    for m in _PARAM.finditer(address):
        values = params.get(m.group(1)) or []
        names = [n.replace(m.group(0), v, 1) for n in names for v in values]
    return [n for n in names if not _PARAM.search(n)]


def _topic_values(node: Any, depth: int = 0) -> Iterator[Any]:
    if depth > 64:
        return
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict) and isinstance(props.get("topic"), dict):
            schema = props["topic"]
            if "const" in schema:
                yield schema["const"]
            yield from schema.get("enum") or []
            yield from schema.get("examples") or []
        for value in node.values():
            yield from _topic_values(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _topic_values(value, depth + 1)
