"""The Origin rule itself: canonical origins, loopback pages, the policy's answers."""

import pytest

from inspector.mock.origin import OriginPolicy, canonical_origin, is_loopback

LOOPBACK = [
    "http://127.0.0.1", "http://127.0.0.1:5173", "https://127.0.0.1:8443", "http://localhost",
    "http://localhost:3000", "https://localhost", "http://[::1]", "http://[::1]:8080", "HTTP://LocalHost:3000",
]


@pytest.mark.parametrize("text, canonical", [
    ("http://evil.test", "http://evil.test"),
    ("HTTP://Evil.Test:80", "http://evil.test"),
    ("https://evil.test:443/", "https://evil.test"),
    ("https://evil.test:8443", "https://evil.test:8443"),
    ("http://[::1]:3000", "http://[::1]:3000"),
    ("  http://localhost:3000 ", "http://localhost:3000"),
    ("null", "null"),
    ("NULL", "null"),
])
def test_canonical_origin(text, canonical):
    assert canonical_origin(text) == canonical


@pytest.mark.parametrize("text", ["evil.test", "http://evil.test/app", "http://evil.test?x=1", "http://evil.test#f",
                                  "http://u:p@evil.test", "http://evil.test:http", "http://", "", "*x"])
def test_not_an_origin(text):
    with pytest.raises(ValueError, match="not an origin"):
        canonical_origin(text)


def test_loopback_rule_and_policy():
    assert all(is_loopback(canonical_origin(o)) for o in LOOPBACK)
    assert not any(is_loopback(o) for o in ("http://evil.test", "ws://127.0.0.1", "null", "http://127.0.0.2",
                                            "http://[::2]:80", "http://localhost.evil.test"))
    policy = OriginPolicy(["http://evil.test:8000"])
    assert policy.allows([]) and policy.allows(["http://evil.test:8000"]) and policy.allows(["http://[::1]"])
    assert not policy.allows(["http://evil.test"]) and not policy.allows(["http://[::1]", "http://[::1]"])
    assert OriginPolicy(["*"]).allows(["whatever", "two"])
    with pytest.raises(ValueError):
        OriginPolicy(["evil.test"])
