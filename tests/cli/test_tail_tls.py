"""``mock --tls-self-signed`` and ``tail``/``publish`` with TLS options, as processes on 127.0.0.1."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

TOKEN = "tls-cli-token-8c4f"
CLI = [sys.executable, "-m", "inspector"]
CA_LINE = re.compile(r"^TLS: self-signed certificate for 127\.0\.0\.1, ::1, localhost; its CA file: (\S+) "
                     r"\(use --cacert \S+\)$")


@pytest.fixture
def tls_mock():
    proc = subprocess.Popen([*CLI, "mock", "--port", "0", "--tls-self-signed"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    first, second = proc.stdout.readline().rstrip("\n"), proc.stdout.readline().rstrip("\n")
    ca = CA_LINE.match(first)
    listening = re.match(r"^listening on (wss://127\.0\.0\.1:\d+/api/v2/realtime)$", second)
    assert ca and listening, (first, second)
    yield ca.group(1), listening.group(1)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=10)


def tail(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "tail", url, "--token", TOKEN, "--subscribe", "t", "--count", "1", *args],
                          capture_output=True, text=True, timeout=20)


def test_the_self_signed_mock_names_its_ca_file_and_tail_trusts_it_with_cacert(tls_mock):
    ca, url = tls_mock
    assert os.path.exists(ca) and not os.path.exists(os.path.join(os.path.dirname(ca), "server.key"))
    done = tail(url, "--cacert", ca)
    assert done.returncode == 0, done.stderr
    assert re.search(r"connected: TLSv1\.[23] \S+, certificate CN=127\.0\.0\.1,O=Realtime Inspector issued by "
                     r"CN=Realtime Inspector mock CA,O=Realtime Inspector \(verified\)", done.stderr)


def test_tail_without_the_ca_stops_at_once_with_one_line_and_exit_1(tls_mock):
    _, url = tls_mock
    done = tail(url)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("realtime-inspector: connect failed: TLS certificate verify failed: ")
    assert "(unknown CA); subject CN=127.0.0.1" in done.stderr
    assert "issuer CN=Realtime Inspector mock CA" in done.stderr and TOKEN not in done.stderr
    assert "Traceback" not in done.stderr


def test_tail_insecure_connects_and_warns_on_stderr(tls_mock):
    _, url = tls_mock
    done = tail(url, "--insecure")
    assert done.returncode == 0, done.stderr
    assert "warning: --insecure: the server's certificate is NOT verified" in done.stderr
    assert "(NOT VERIFIED: --insecure)" in done.stderr


def test_publish_over_wss_with_cacert(tls_mock):
    ca, url = tls_mock
    done = subprocess.run([*CLI, "publish", url, "--token", TOKEN, "--cacert", ca, "orders.eu", '{"total": 1}'],
                          capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr
    refused = subprocess.run([*CLI, "publish", url, "--token", TOKEN, "orders.eu", "1"],
                             capture_output=True, text=True, timeout=20)
    assert refused.returncode == 2 and "TLS certificate verify failed" in refused.stderr


def test_publish_names_the_rejected_certificate_like_tail(tls_mock):
    _, url = tls_mock
    refused = subprocess.run([*CLI, "publish", url, "--token", TOKEN, "orders.eu", "1"],
                             capture_output=True, text=True, timeout=20)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert "TLS certificate verify failed: self-signed certificate in the chain (unknown CA)" in refused.stderr
    assert "subject CN=127.0.0.1" in refused.stderr and "issuer CN=Realtime Inspector mock CA" in refused.stderr
    assert "(trust its CA with --cacert FILE" in refused.stderr and TOKEN not in refused.stderr


@pytest.mark.parametrize("args, message", [
    (["--header", "no colon"], "--header: a header is written 'Name: value'"),
    (["--header", f"X-Key: {TOKEN}"], "--header 'X-Key' carries the token's value: use the token options"),
    (["--cacert", "/nonexistent/ca.pem"], "CA file not found: /nonexistent/ca.pem"),
    (["--key-pass-env", "NO_SUCH_VAR_71"], "--key-pass-env: the environment variable NO_SUCH_VAR_71 is not set"),
    (["--proxy", "socks5://p:1080"], "the proxy must be an http://host:port URL"),
])
def test_bad_connection_options_are_one_line(args, message):
    done = subprocess.run([*CLI, "tail", "wss://127.0.0.1:9/api/v2/realtime", "--token", TOKEN, *args],
                          capture_output=True, text=True, timeout=20)
    assert done.returncode in (1, 2) and message in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert TOKEN not in done.stderr


def test_tail_help_documents_the_options_with_an_example():
    done = subprocess.run([*CLI, "tail", "--help"], capture_output=True, text=True, timeout=20)
    for option in ("--cacert", "--cert", "--key", "--key-pass-env", "--insecure", "--header", "--origin",
                   "--subprotocol", "--proxy", "--no-proxy", "SSLKEYLOGFILE"):
        assert option in done.stdout
    assert "--cacert staging-ca.pem --header 'X-Tenant: acme'" in done.stdout
