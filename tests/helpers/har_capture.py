"""Capture a HAR with Playwright driving a real Chromium against the real mock server.

    python tests/helpers/har_capture.py [OUT_DIR]    (default: tests/fixtures)

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
import contextlib
import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from inspector.mock.thread import MockServerThread
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
    def do_GET(self):
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
    """Write Playwright's HAR of one page session to ``out``; returns what the page saw (the witness)."""
    with _mock() as mock:
        return _browse(mock.url, mock, executable, dict(record_har_path=str(out), record_har_mode=mode))


def capture_mitmproxy(out: Path, mitmdump: str, executable: str | None = None) -> list[dict]:
    """The same session through ``mitmdump`` as a reverse proxy, whose ``hardump`` writes ``out``."""
    with _mock() as mock:
        port = _free_port()
        proc = subprocess.Popen([mitmdump, "-q", "--listen-host", "127.0.0.1", "--listen-port", str(port),
                                 "--mode", f"reverse:http://127.0.0.1:{mock.port}", "--set", f"hardump={out}"],
                                stdin=subprocess.DEVNULL)
        try:
            _wait_listening(port, proc)
            seen = _browse(f"ws://127.0.0.1:{port}/api/v2/realtime", mock, executable, {})
        finally:
            proc.send_signal(signal.SIGINT)  # mitmdump writes the HAR as it shuts down
            proc.wait(30)
    return seen


@contextlib.contextmanager
def _mock():
    mock = MockServerThread()
    mock.start()
    try:
        yield mock
    finally:
        mock.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mitmdump exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)  # polling a port that is not listening yet
    raise RuntimeError("mitmdump did not listen")


def _browse(ws_url: str, mock: MockServerThread, executable: str | None, context_options: dict) -> list[dict]:
    from playwright.sync_api import sync_playwright  # only a capture needs it

    executable = executable or chromium_path()
    if executable is None:
        raise RuntimeError("no chromium on PATH")
    page_server = ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    threading.Thread(target=page_server.serve_forever, name="fixture-page", daemon=True).start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(**context_options)
                page = context.new_page()
                page.goto(f"http://127.0.0.1:{page_server.server_port}/")
                seen = _session(page, mock, f"{ws_url}?token={TOKEN}")
                context.close()  # writes Playwright's HAR
            finally:
                browser.close()
    finally:
        page_server.shutdown()
        page_server.server_close()
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


def devtools_shape(playwright_har: dict) -> dict:
    """Playwright's capture laid out as Chrome DevTools' "Save all as HAR" writes it.

    DevTools' own export cannot be driven headless, so its layout is reproduced from
    its source (models/har/Log.ts): entry keys in its order (``_webSocketMessages``
    before ``startedDateTime``), message keys ``type, time, opcode, data``, ``time`` in
    epoch seconds, 2-space indent; plus one ``"type": "error"`` frame (opcode -1, the
    browser's error text as data), which DevTools writes when the browser saw a bad frame.
    """
    entries = []
    for e in playwright_har["log"]["entries"]:
        entry = {"_initiator": {"type": "script"}, "_priority": "High", "_resourceType": e.get("_resourceType")}
        if "_webSocketMessages" in e:
            messages = [{"type": m["type"], "time": m["time"] / 1000, "opcode": m["opcode"], "data": m["data"]}
                        for m in e["_webSocketMessages"]]
            last = messages[-1]["time"] if messages else 0.0
            messages.append({"type": "error", "time": last + 0.0005, "opcode": -1,
                             "data": "Could not decode a text frame as UTF-8."})
            entry["_webSocketMessages"] = messages
        entry.update(cache={}, connection="1", pageref="page_1", request=e["request"], response=e["response"],
                     serverIPAddress="127.0.0.1", startedDateTime=e["startedDateTime"], time=e["time"],
                     timings=e["timings"])
        entries.append(entry)
    return {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"},
                    "pages": [], "entries": entries}}


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0]) if argv else FIXTURES
    out_dir.mkdir(parents=True, exist_ok=True)
    made = [(name, lambda har, mode=mode: capture(har, mode))
            for name, mode in (("playwright-chromium", "full"), ("playwright-chromium-minimal", "minimal"))]
    mitmdump = shutil.which("mitmdump")
    if mitmdump:
        made.append(("mitmproxy", lambda har: capture_mitmproxy(har, mitmdump)))
    else:
        print("no mitmdump on PATH: mitmproxy.har not made")
    for name, make in made:
        har = out_dir / f"{name}.har"
        seen = make(har)
        (out_dir / f"{name}.witness.json").write_text(json.dumps(seen, indent=1) + "\n")
        print(f"wrote {har} ({len(seen)} messages)")
        if name == "playwright-chromium":
            shaped = devtools_shape(json.loads(har.read_text(encoding="utf-8")))
            (out_dir / "chrome-devtools-shape.har").write_text(json.dumps(shaped, indent=2) + "\n")
            print(f"wrote {out_dir / 'chrome-devtools-shape.har'} (witness: {name}.witness.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
