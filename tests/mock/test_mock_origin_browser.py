"""A real browser page against the mock's Origin rule (Debian's chromium driven by Playwright).

``--host-resolver-rules`` maps evil.test to 127.0.0.1, so a page loaded from
http://evil.test:PORT is on this machine yet the browser sends ``Origin: http://evil.test:PORT``
— the shape of a foreign page (or DNS rebinding) talking to the local mock.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright import sync_api

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed; `python3 packaging/dev.py test` installs it when run as root "
    "(else: sudo apt-get install chromium)")

TOKEN = "browser-tok-51"
# Open a WebSocket, send one request (SUBSCRIBE, or a control stats), report the first answer.
OPEN_AND_ASK = """([url, control]) => new Promise(resolve => {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => ws.send(control ? '{"op":"stats"}'
                                    : new Uint8Array([1, ...new TextEncoder().encode('{"topic":"t"}')]));
  ws.onmessage = e => {
    resolve(control ? (JSON.parse(e.data).ok ? "stats" : "control error")
                    : (new Uint8Array(e.data)[0] === 0x10 ? "event" : "frame " + new Uint8Array(e.data)[0]));
    ws.close();
  };
  ws.onerror = () => resolve("refused");
  ws.onclose = e => resolve("closed " + e.code);
})"""


class _Page(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<!doctype html><title>page</title>"
        self.send_response(200 if self.path == "/" else 404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def page_port():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    pw = sync_api.sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP evil.test 127.0.0.1"])
        yield b
        b.close()
    finally:
        pw.stop()


def visit(browser, url: str, realtime_url: str, control_url: str):
    """Load ``url`` and, from that page, use both WebSocket paths; returns (answers, socket errors, origin)."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("websocket", lambda ws: ws.on("socketerror", lambda error: errors.append(error)))
    try:
        page.goto(url)
        answers = (page.evaluate(OPEN_AND_ASK, [f"{realtime_url}?token={TOKEN}", False]),
                   page.evaluate(OPEN_AND_ASK, [f"{control_url}?token={TOKEN}", True]))
        # the DevTools event with the HTTP status may trail the page's onerror
        deadline = time.monotonic() + 5
        while len(errors) < answers.count("refused") and time.monotonic() < deadline:
            page.wait_for_timeout(10)
        return answers, errors, page.evaluate("() => location.origin")
    finally:
        page.close()


def test_a_page_from_a_foreign_origin_cannot_use_the_embedded_mock(browser, page_port, mock_server, caplog):
    caplog.set_level(logging.WARNING, logger="inspector.mock")
    server = mock_server()  # MockServerThread, as the app's mock panel runs it
    answers, errors, origin = visit(browser, f"http://evil.test:{page_port}/", server.url, server.control_url)
    assert origin == f"http://evil.test:{page_port}"
    assert answers == ("refused", "refused")
    assert errors == ["Error during WebSocket handshake: Unexpected response code: 403"] * 2
    assert f"from origin 'http://evil.test:{page_port}': 403 origin_not_allowed" in caplog.text
    assert server.call(server.server.stats)["connections"] == 0


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_page_from_a_loopback_origin_works_by_default(browser, page_port, mock_server, host):
    server = mock_server()
    answers, errors, origin = visit(browser, f"http://{host}:{page_port}/", server.url, server.control_url)
    assert origin == f"http://{host}:{page_port}"
    assert answers == ("event", "stats") and errors == []


def test_allow_origin_on_the_command_line_lets_that_page_in(browser, page_port):
    allowed = f"http://evil.test:{page_port}"
    proc = subprocess.Popen([sys.executable, "-m", "inspector", "mock", "--port", "0", "--allow-origin", allowed],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        match = re.match(r"listening on (ws://127\.0\.0\.1:\d+)/api/v2/realtime$", proc.stdout.readline().strip())
        assert match, proc.poll() is not None and proc.stderr.read()
        base = match.group(1)
        answers, errors, _ = visit(browser, f"{allowed}/", f"{base}/api/v2/realtime", f"{base}/mock/control")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert answers == ("event", "stats") and errors == []
    assert "refused" not in err
