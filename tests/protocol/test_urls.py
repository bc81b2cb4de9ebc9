"""protocol/urls: the token in the query, the Authorization header, the control channel's URL."""

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspector.protocol.control_publish import publish_refusal, publish_request
from inspector.protocol.urls import CONTROL_PATH, control_url, dial, with_token

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)
values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
tokens = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)


def _query(pairs: list[tuple[str, str]]) -> str:
    from urllib.parse import urlencode
    return urlencode(pairs)


@given(st.lists(st.tuples(names, values), max_size=5), tokens)
def test_the_token_is_the_last_pair_and_every_other_pair_stays_in_order(pairs, token):
    base = "ws://h:1/api/v2/realtime"
    url = f"{base}?{_query(pairs)}" if pairs else base
    out = with_token(url, token)
    got = parse_qsl(urlsplit(out).query, keep_blank_values=True)
    assert got == [p for p in pairs if p[0] != "token"] + [("token", token)]
    assert out.startswith(base)


@given(st.lists(st.tuples(names, values), max_size=4), tokens, tokens)
def test_a_token_already_there_is_replaced_not_doubled(pairs, old, new):
    url = f"ws://h/x?{_query([*pairs, ('token', old)])}"
    got = parse_qsl(urlsplit(with_token(url, new)).query, keep_blank_values=True)
    assert [v for k, v in got if k == "token"] == [new]


def test_other_pairs_are_kept_as_written():
    assert with_token("wss://h/x?b=a+b&%74oken=old&a=%2F&flag", "t") == "wss://h/x?b=a+b&a=%2F&flag&token=t"
    assert with_token("ws://h/x", "a/b+c") == "ws://h/x?token=a%2Fb%2Bc"


def test_dial_carries_the_token_one_way_only():
    assert dial("ws://h/x?a=1", "tok", "header") == ("ws://h/x?a=1", [("Authorization", "Bearer tok")])
    assert dial("ws://h/x?a=1", "tok", "query") == ("ws://h/x?a=1&token=tok", [])
    assert dial("ws://h/x", "", "query") == ("ws://h/x", [])
    with pytest.raises(ValueError, match="auth must be"):
        dial("ws://h/x", "tok", "cookie")


@pytest.mark.parametrize(("url", "want"), [
    ("ws://127.0.0.1:8765/api/v2/realtime?token=x", f"ws://127.0.0.1:8765{CONTROL_PATH}"),
    ("wss://user:pw@h.example:443/a", f"wss://h.example:443{CONTROL_PATH}"),
    ("http://h:80/", f"ws://h:80{CONTROL_PATH}"),
    ("HTTPS://[::1]:9/x", f"wss://[::1]:9{CONTROL_PATH}"),
])
def test_the_control_channel_sits_beside_any_realtime_url(url, want):
    assert control_url(url) == want


@pytest.mark.parametrize("url", ["ftp://h/x", "ws:///nohost", "ws://h:99999/x", "not a url"])
def test_no_control_channel_for_a_url_that_is_not_ws(url):
    with pytest.raises(ValueError):
        control_url(url)


@given(st.text(max_size=20), st.one_of(st.none(), st.integers(), st.text(max_size=10)))
def test_a_publish_request_is_one_json_object(topic, data):
    import json
    assert json.loads(publish_request(topic, data)) == {"op": "publish", "topic": topic, "data": data}


@pytest.mark.parametrize(("reply", "why"), [
    ('{"ok":true}', None),
    (b'{"ok":true,"queued":1}', None),
    ('{"ok":false,"error":"unknown topic"}', "unknown topic"),
    ('{"ok":1}', "refused"),
    ("[1]", "unexpected reply [1]"),
    ("nope", "the reply is not JSON"),
    (b"\xff", "the reply is not JSON"),
])
def test_a_reply_says_published_or_why_not(reply, why):
    assert publish_refusal(reply) == why
