"""decode_json_object parses with msgspec first and the standard library after: the answer is
the standard library's alone, for any body however a server writes it (key order, spacing,
escapes, huge numbers, lone surrogates, bytes that are not UTF-8, damaged bodies)."""

import json

import pytest
from damage import damaged
from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.protocol.frames import DecodeError, _standard_json, decode_json_object, json_type

pytestmark = pytest.mark.slow

json_scalars = (st.none() | st.booleans() | st.integers(-(2**80), 2**80) | st.text()
                | st.floats(allow_nan=False, allow_infinity=False))
json_values = st.recursive(
    json_scalars, lambda c: st.lists(c, max_size=5) | st.dictionaries(st.text(max_size=8), c, max_size=5),
    max_leaves=20)
objects = st.dictionaries(st.text(max_size=10), json_values, max_size=6)
# written as json.dumps can, then as other writers do: numbers and escapes json.dumps never writes
writers = st.fixed_dictionaries({"ensure_ascii": st.booleans(), "sort_keys": st.booleans(),
                                 "indent": st.none() | st.integers(0, 3),
                                 "separators": st.sampled_from([None, (",", ":"), (" , ", " : "), (",\t", ":\n")])})
odd_pieces = st.sampled_from([
    "1e400", "-1e400", "1.5e-400", "NaN", "Infinity", "-0", "-0.0", "1E2", "01", "1.", ".5", "9" * 4400,
    '"\\ud800"', '"\\udc00\\ud800"', '"\\u00e9"', '"\\/"', '"\x7f"', '"\t"', '"\\u0000"', "[" * 40 + "]" * 40,
    "[" * 3000 + "]" * 3000, "true", "null", '"a"', "{}", "[]"])


def standard(body: bytes):
    """What the standard library's parse alone answers: the object, or the error's words."""
    try:
        obj = _standard_json(body)
    except DecodeError as exc:
        return ("error", exc.message)
    if not isinstance(obj, dict):
        return ("error", f"body is a JSON {json_type(obj)}, not an object")
    return ("ok", repr(obj))  # repr: 1, 1.0 and True differ, as do -0.0 and 0.0


def decoded(body: bytes):
    try:
        return ("ok", repr(decode_json_object(body)))
    except DecodeError as exc:
        return ("error", exc.message)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes bytes UTF-8 does not allow


@settings(max_examples=examples(800))
@given(objects, writers)
def test_any_object_as_json_dumps_writes_it(obj, writer):
    body = _encode(json.dumps(obj, **writer))
    assert decoded(body) == standard(body)


@settings(max_examples=examples(800))
@given(objects, st.text(max_size=8), odd_pieces, st.sampled_from(["", " ", "\n", "\r\n\t"]))
def test_numbers_and_escapes_other_writers_use(obj, key, piece, space):
    text = json.dumps(obj)
    rest = ", " + text[1:] if len(text) > 2 else "}"  # the object's own members after the odd one
    body = _encode(f"{space}{{{json.dumps(key)}{space}:{space}{piece}{rest}{space}")
    assert decoded(body) == standard(body)


@settings(max_examples=examples(800))
@given(objects, st.data())
def test_damaged_bodies(obj, data):
    body = damaged(_encode(json.dumps(obj, ensure_ascii=data.draw(st.booleans()))), data)
    assert decoded(body) == standard(body)


@given(st.binary(max_size=200))
def test_any_bytes(body):
    assert decoded(body) == standard(body)


@pytest.mark.parametrize("body", [b'{"a":1e400}', b'{"a":"\\ud800"}', b'{"a":NaN}', b'\xef\xbb\xbf{}',
                                  b'{"a":' + b"9" * 5000 + b"}", b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}",
                                  b'{"a":"\xed\xa0\x80"}', b'{"a":1,"a":2}', b" [1] ", b'{"a":1}x'])
def test_what_msgspec_refuses_is_the_standard_library_s_to_answer(body):
    assert decoded(body) == standard(body)


@pytest.mark.parametrize("body", [
    b'{"a":1,"a":2}',                      # a repeated member: the last one counts
    b'{"a":{"x":1},"b":0,"a":[1]}',        # ... whatever the types
    b'{"\\u00e9":1,"\xc3\xa9":2}',         # one key written escaped, then as UTF-8
    b'{"a":{"k":1,"k":{"k":2}},"a":{"k":3,"k":4}}',
], ids=["plain", "types", "escaped", "nested"])
def test_a_repeated_member_keeps_its_last_value_as_the_standard_library_does(body):
    assert decoded(body) == standard(body)
