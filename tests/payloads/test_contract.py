"""The shipped AsyncAPI document, and user contracts as other tools write them."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

from inspector.payloads.contract import Contract, ContractError

ROOT = Path(__file__).resolve().parents[2]
OFFICIAL = ROOT / "resources" / "asyncapi" / "asyncapi-3.0.0.schema.json"


def shipped() -> str:
    return resources.files("inspector").joinpath("docs/realtime.asyncapi.yaml").read_text(encoding="utf-8")


def official_errors(doc) -> list[str]:
    schema = json.loads(OFFICIAL.read_text(encoding="utf-8"))
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in Draft7Validator(schema).iter_errors(doc)]


def test_the_shipped_document_is_valid_asyncapi_3():
    doc = yaml.safe_load(shipped())
    assert doc["asyncapi"] == "3.0.0"
    assert official_errors(doc) == []


def test_the_official_schema_catches_a_broken_document():
    """Guards the guard: the vendored schema does reject what AsyncAPI 3.0 forbids."""
    doc = yaml.safe_load(shipped())
    doc["channels"]["realtime"]["bindings"]["ws"]["method"] = "PUT"
    del doc["info"]["version"]
    errors = official_errors(doc)
    assert errors and any("version" in e for e in errors)


def test_the_shipped_document_describes_the_wire():
    doc = yaml.safe_load(shipped())
    realtime = doc["channels"]["realtime"]
    assert realtime["address"] == "/api/v2/realtime"
    ws = realtime["bindings"]["ws"]
    assert "Authorization" in ws["headers"]["properties"] and "token" in ws["query"]["properties"]
    kinds = {m["name"]: m["x-kind-byte"] for m in doc["components"]["messages"].values() if m["name"].isupper()}
    assert kinds == {"SUBSCRIBE": 0x01, "UNSUBSCRIBE": 0x02, "EVENT": 0x10, "PING": 0x20, "PONG": 0x21,
                     "ERROR": 0xFF}
    # every example of a kind's message keeps that kind's own body schema
    messages = doc["components"]["messages"]
    contract = Contract(doc)
    for name in ("Subscribe", "Unsubscribe", "Event", "Error"):
        schema = {"$ref": f"urn:realtime-inspector:contract#/components/messages/{name}/payload"}
        validator = Draft7Validator(schema, registry=contract.registry)
        for example in messages[name]["examples"]:
            assert list(validator.iter_errors(example["payload"])) == [], (name, example)


def test_the_demo_topics_and_their_examples():
    contract = Contract(yaml.safe_load(shipped()))
    assert contract.topic_suggestions() == ["chat.lobby", "orders.eu", "orders.us", "ticker"]
    examples = dict(contract.examples())
    assert set(examples) == {"ticker", "orders.eu", "orders.us", "chat.lobby"}
    for topic, values in examples.items():
        for value in values:
            assert contract.check(topic, value) is None, (topic, value)


def test_a_violation_names_the_pointer_and_the_rule():
    contract = Contract(yaml.safe_load(shipped()))
    v = contract.check("orders.eu", {"id": "o-9", "total": 10, "items": [{"sku": "a", "qty": 0, "price": 1}]})
    assert (v.pointer, v.rule, v.expected) == ("/items/0/qty", "minimum", 1)
    v = contract.check("ticker", {"price": 3})
    assert (v.pointer, v.rule) == ("", "required") and "symbol" in v.message
    assert contract.check("orders.mars", {"nothing": "known"}) is None  # no channel: nothing to keep
    body = {"topic": "orders.eu", "type": "presence", "ts": 1, "data": {"action": "join"}}
    assert contract.check_body(body) is None  # presence is the protocol's, not the topic's


USER_JSON_V3 = """{
  "asyncapi": "3.0.0",
  "info": {"title": "sensors", "version": "1"},
  "channels": {
    "temps": {"address": "sensors.{room}.temp",
              "parameters": {"room": {"enum": ["kitchen", "hall"]}},
              "messages": {"reading": {"$ref": "#/components/messages/Reading"}}}
  },
  "components": {
    "messages": {"Reading": {"payload": {"$ref": "schemas/reading.json"},
                             "examples": [{"payload": {"celsius": 21.5}}]}}
  }
}"""


def test_a_json_document_with_a_ref_to_a_file_beside_it(tmp_path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "reading.json").write_text(
        '{"type":"object","required":["celsius"],"properties":{"celsius":{"$ref":"#/definitions/t"}},'
        '"definitions":{"t":{"type":"number","minimum":-50}}}')
    path = tmp_path / "sensors.asyncapi.json"
    path.write_text(USER_JSON_V3)
    contract = Contract.load(path)
    assert contract.topic_suggestions() == ["sensors.hall.temp", "sensors.kitchen.temp"]
    assert contract.check("sensors.hall.temp", {"celsius": 20}) is None
    v = contract.check("sensors.kitchen.temp", {"celsius": -99})
    assert (v.pointer, v.rule) == ("/celsius", "minimum")
    assert contract.knows("sensors.attic.temp") is False  # the parameter's enum bounds the address


USER_YAML_V2 = """
asyncapi: '2.6.0'
info: {title: shop, version: '1'}
channels:
  orders.eu:
    subscribe:
      message:
        oneOf:
          - {payload: {type: object, required: [id], properties: {id: {type: string}}}}
          - payload:
              type: object
              required: [refund]
              properties: {topic: {const: orders.eu}, refund: {type: number}}
"""


def test_an_asyncapi_2_document_with_one_of_messages():
    contract = Contract(yaml.safe_load(USER_YAML_V2))
    assert contract.check("orders.eu", {"id": "x"}) is None
    assert contract.check("orders.eu", {"refund": 3}) is None
    v = contract.check("orders.eu", {"id": 5})
    assert v is not None and v.pointer == "/id"


@pytest.mark.parametrize("text,needle", [
    ("asyncapi: 3.0.0\ninfo: [unclosed", "line"),
    ("just a string", "not an AsyncAPI document"),
    ("openapi: 3.1.0\n", "not an AsyncAPI 2.x or 3.x document"),
])
def test_a_bad_document_is_one_line(tmp_path, text, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ContractError) as info:
        Contract.load(path)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_a_dangling_ref_is_one_line(tmp_path):
    path = tmp_path / "dangling.yaml"
    path.write_text("asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\n"
                    "channels: {c: {address: a.b, messages: {m: {$ref: '#/components/messages/Nope'}}}}\n")
    with pytest.raises(ContractError, match="cannot resolve"):
        Contract.load(path)
