"""A profile's contract and decoder settings: saved, loaded, duplicated, checked."""

import pytest

from inspector.profiles import Profile, ProfileError, ProfileStore


def test_contract_and_decoders_round_trip_and_duplicate(tmp_path):
    store = ProfileStore(tmp_path / "cfg")
    store.load()
    store.add(Profile(name="Sensors", url="ws://127.0.0.1:1/api/v2/realtime", token_env="RT", token_kind="env",
                      asyncapi="/home/me/sensors.asyncapi.yaml",
                      decoders={"sensors.*": "base64+msgpack", "audit.*": "base64+zlib"}))
    store.save()
    again = ProfileStore(tmp_path / "cfg")
    again.load()
    p = again.get("Sensors")
    assert p.asyncapi == "/home/me/sensors.asyncapi.yaml"
    assert list(p.decoders.items()) == [("sensors.*", "base64+msgpack"), ("audit.*", "base64+zlib")]
    copy = again.duplicate("Sensors")
    copy.decoders["x"] = "hex"
    assert "x" not in p.decoders


@pytest.mark.parametrize("field,value", [("asyncapi", 3), ("decoders", ["sensors.*=base64"]),
                                         ("decoders", {"sensors.*": 1})])
def test_ill_typed_payload_fields_are_refused(field, value):
    with pytest.raises(ProfileError, match=field):
        Profile.from_json({"name": "P", field: value})
