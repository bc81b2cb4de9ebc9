"""Built-in decoders on bytes other producers write, chains, plugins, and decoders that fail."""

from __future__ import annotations

import base64
import json
import zlib

import cbor2
import msgpack
import pytest
from faulty_decoders import Hangs, Raises

from inspector.payloads.decoders import (
    Decoded,
    DecoderError,
    Registry,
    parse_rules,
    rule_for,
    run_chain,
)
from inspector.payloads.lens import Lens
from inspector.protocol.frames import encode_event_body

# RFC 8949 appendix A: {"a": 1, "b": [2, 3]}
CBOR_RFC = bytes.fromhex("a26161016162820203")
# msgpack spec's own example: {"compact": true, "schema": 0}
MSGPACK_SPEC = bytes.fromhex("82a7636f6d70616374c3a6736368656d6100")


def event(topic: str, data, seq: int = 1) -> bytes:
    body = {"topic": topic, "type": "message", "seq": seq, "ts": 1764300000123, "data": data}
    return encode_event_body(body)


def chain(spec: str, registry: Registry | None = None):
    registry = registry or Registry(plugins=False)
    return parse_rules({"*": spec}, registry)[0], registry


@pytest.mark.parametrize("spec,value,expected", [
    ("base64+msgpack", base64.b64encode(MSGPACK_SPEC).decode(), {"compact": True, "schema": 0}),
    ("base64+cbor", base64.b64encode(CBOR_RFC).decode(), {"a": 1, "b": [2, 3]}),
    # URL-safe alphabet without padding, as JWT-minded producers write it
    ("base64+cbor", base64.urlsafe_b64encode(cbor2.dumps({"k": "~~~??>"})).decode().rstrip("="), {"k": "~~~??>"}),
    ("hex+cbor", CBOR_RFC.hex().upper(), {"a": 1, "b": [2, 3]}),
    ("hex+msgpack", "0x" + MSGPACK_SPEC.hex(), {"compact": True, "schema": 0}),
    ("base64+auto", base64.b64encode(msgpack.packb([1, "two", b"\x03"])).decode(), [1, "two", "03"]),
])
def test_chains_decode_what_other_producers_write(spec, value, expected):
    rule, registry = chain(spec)
    out = run_chain(rule, registry, value, b"")
    assert out.error is None and out.value == expected
    assert out.summary and "\n" not in out.summary


@pytest.mark.parametrize("spec,value,needle", [
    ("base64+msgpack", "not base64 at all!", "base64: does not apply"),
    ("base64+msgpack", {"an": "object"}, "base64: does not apply to an object"),
    ("base64+cbor", base64.b64encode(b"\xff\xff").decode(), "cbor:"),
    ("hex", "abc", "hex: does not apply"),
])
def test_a_failing_chain_is_an_error_line(spec, value, needle):
    rule, registry = chain(spec)
    out = run_chain(rule, registry, value, b"")
    assert out.error is not None and needle in out.error and "\n" not in out.error


def test_rules_first_match_wins_and_unknown_names_are_refused():
    registry = Registry(plugins=False)
    rules = parse_rules(["sensors.raw=hex", "sensors.*=base64+msgpack"], registry)
    assert rule_for(rules, "sensors.raw").spec == "hex"
    assert rule_for(rules, "sensors.kitchen").spec == "base64+msgpack"
    assert rule_for(rules, "orders.eu") is None
    with pytest.raises(DecoderError, match="unknown decoder 'protobuf'"):
        parse_rules(["x=base64+protobuf"], registry)
    with pytest.raises(DecoderError, match="GLOB=DECODER"):
        parse_rules(["sensors.*"], registry)


def test_the_installed_example_plugin_is_found_by_its_entry_point():
    registry = Registry()
    assert "zlib" in registry.decoders, registry.problems
    data = base64.b64encode(zlib.compress(json.dumps({"user": "ada", "action": "login"}).encode())).decode()
    rule = parse_rules({"audit.*": "base64+zlib"}, registry)[0]
    out = run_chain(rule, registry, data, b"")
    assert out.error is None and out.value == {"user": "ada", "action": "login"}
    assert out.summary.startswith("zlib ")


class WholeFrame:
    name, scope = "framelen", "frame"

    def score(self, value):
        return 1.0

    def decode(self, value):
        return Decoded({"kind": value[0], "size": len(value)}, f"{len(value)} bytes")


def test_a_raising_decoder_is_the_rows_error():
    lens = Lens(rules=parse_rules({"*": "explodes"}, reg := Registry(extra=(Raises(),), plugins=False)),
                registry=reg)
    try:
        reading = lens.read(event("t", "x"))
        assert reading.outcome.error == "explodes: boom with a second line"
    finally:
        lens.close()


def test_a_hanging_decoder_times_out_and_is_not_run_again():
    hangs = Hangs()
    registry = Registry(extra=(hangs,), plugins=False)
    lens = Lens(rules=parse_rules({"slow.*": "hangs", "*": "base64"}, registry), registry=registry, timeout=0.2)
    try:
        first = lens.read(event("slow.a", "x"))
        assert "gave no answer within 0.2 s" in first.outcome.error
        second = lens.read(event("slow.a", "y"))
        assert "skipped" in second.outcome.error
        other = lens.read(event("fast", base64.b64encode(b"ok").decode()))  # a fresh worker takes over
        assert other.outcome.error is None and other.outcome.value == "6f6b"
    finally:
        hangs.release.set()
        lens.close()


def test_a_whole_frame_decoder_sees_the_kind_byte():
    registry = Registry(extra=(WholeFrame(),), plugins=False)
    lens = Lens(rules=parse_rules({"*": "framelen"}, registry), registry=registry)
    try:
        frame = event("t", 1)
        assert lens.read(frame).outcome.value == {"kind": 0x10, "size": len(frame)}
        with pytest.raises(DecoderError, match="only come first"):
            parse_rules({"*": "base64+framelen"}, registry)
    finally:
        lens.close()


def test_encode_is_the_reverse():
    registry = Registry(plugins=False)
    value = {"a": [1, 2.5, "x"]}
    assert registry.decoders["msgpack"].decode(registry.decoders["msgpack"].encode(value)).value == value
    assert registry.decoders["cbor"].decode(registry.decoders["cbor"].encode(value)).value == value
    assert registry.decoders["base64"].decode(registry.decoders["base64"].encode(b"\x00\x01")).value == b"\x00\x01"
