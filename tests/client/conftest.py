"""Fixtures shared by the client tests."""

import pytest


@pytest.fixture
def clean_proxy_env(monkeypatch):
    """No proxy variables from the machine running the tests: each test sets its own."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ws_proxy", "wss_proxy",
                 "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "WS_PROXY", "WSS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch
