"""Capture a HAR with Playwright driving a real Chromium against the real mock server.

    python tests/recording/har_capture.py [OUT_DIR]    (default: tests/fixtures)

writes ``playwright-chromium.har`` (Playwright's default HAR) and
``playwright-chromium-minimal.har`` (``record_har_mode="minimal"``: message times -1),
each with a ``.witness.json`` beside it: what the page itself saw, in order, with
``Date.now()`` wall times taken in the page, to check a reader against.

The page is served from 127.0.0.1 and opens a WebSocket to the mock with the dummy
token ``fixture-token`` (the only token a capture ever sees), subscribes to two topics
(one filtered), gets published events, PINGs, sends a text frame and a bad SUBSCRIBE
(both answered with ERROR) and closes. Chromium comes from the system (Debian's
``chromium``); Playwright drives it through ``executable_path``, nothing is downloaded.
"""

from __future__ import annotations

import base64
import json
import shutil
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from inspector.net.mock_thread import MockServerThread
from inspector.protocol.frames import Ping, Subscribe, encode

TOKEN = "fixture-token"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

PAGE = b"""<!doctype html>
<meta charset="utf-8">
<title>HAR capture</title>
<script>
// Every message the page sends or gets, with the page's own wall clock (ms).
window.seen = [];
window.received = 0;
const b64 = buf => btoa(String.fromCharCode(...new Uint8Array(buf)));
window.openSocket = url => new Promise((resolve, reject) => {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => resolve();
  ws.onerror = () => reject(new Error("websocket error"));
  ws.onmessage = ev => {
    const text = typeof ev.data === "string";
    seen.push({type: "receive", wall_ms: Date.now(), text,
               data_b64: text ? btoa(unescape(encodeURIComponent(ev.data))) : b64(ev.data)});
    received += 1;
  };
  window.ws = ws;
});
window.sendBinary = data => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  ws.send(bytes);
  seen.push({type: "send", wall_ms: Date.now(), text: false, data_b64: data});
};
window.sendText = text => {
  ws.send(text);
  seen.push({type: "send", wall_ms: Date.now(), text: true, data_b64: btoa(unescape(encodeURIComponent(text)))});
};
window.closeSocket = () => new Promise(resolve => { ws.onclose = () => resolve(); ws.close(1000, "done"); });
</script>
"""


class _PageHandler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        body, status, kind = (PAGE, 200, "text/html; charset=utf-8") if self.path == "/" else (b"", 404, "text/plain")
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def capture(out: Path, mode: str = "full", executable: str | None = None) -> list[dict]:
    """Write a HAR of one page session to ``out``; returns what the page saw (the witness)."""
    from playwright.sync_api import sync_playwright  # only the capture needs it

    executable = executable or chromium_path()
    if executable is None:
        raise RuntimeError("no chromium on PATH")
    mock = MockServerThread()
    page_server = ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    threading.Thread(target=page_server.serve_forever, name="fixture-page", daemon=True).start()
    try:
        url = mock.start() + "?token=" + TOKEN
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(record_har_path=str(out), record_har_mode=mode)
                page = context.new_page()
                page.goto(f"http://127.0.0.1:{page_server.server_port}/")
                seen = _session(page, mock, url)
                context.close()  # writes the HAR
            finally:
                browser.close()
    finally:
        page_server.shutdown()
        page_server.server_close()
        mock.stop()
    return seen


def _session(page, mock: MockServerThread, url: str) -> list[dict]:
    def send(frame) -> None:
        page.evaluate("d => sendBinary(d)", base64.b64encode(encode(frame)).decode("ascii"))

    def until(n: int) -> None:
        page.wait_for_function("n => window.received >= n", arg=n)

    page.evaluate("u => openSocket(u)", url)
    send(Subscribe("orders.eu", None, 1))
    until(1)                                            # presence sync
    send(Subscribe("ticker", "data.price > `100`", 2))
    until(2)                                            # presence sync
    for total in (250, 50, 999):
        mock.call(mock.server.publish, "orders.eu", {"total": total, "note": "caf\u00e9 \u2028"})
    mock.call(mock.server.publish, "ticker", {"price": 50})    # filtered out by the mock
    mock.call(mock.server.publish, "ticker", {"price": 150})
    until(6)
    send(Ping(b"har-1"))
    until(7)                                            # PONG
    page.evaluate("t => sendText(t)", "hello \u00e9")
    until(8)                                            # ERROR bad_frame
    send(Subscribe("Bad Topic", None, 3))
    until(9)                                            # ERROR invalid_topic
    page.evaluate("() => closeSocket()")
    return page.evaluate("() => seen")


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0]) if argv else FIXTURES
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, mode in (("playwright-chromium", "full"), ("playwright-chromium-minimal", "minimal")):
        har = out_dir / f"{name}.har"
        seen = capture(har, mode)
        (out_dir / f"{name}.witness.json").write_text(json.dumps(seen, indent=1) + "\n")
        print(f"wrote {har} ({len(seen)} messages)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
