"""The Lua dissector in real tshark: a loopback capture of the real mock and a real client,
and a capture exported from a recording; replay reads both back.

Needs tshark and dumpcap (root or capture capabilities for the live capture); without them
the tests skip and the run's summary says so (tests/cli/conftest.py).
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import time
from pathlib import Path

from net_kit import TOKEN, run
from websockets.asyncio.client import connect as ws_connect

from inspector.protocol.events import IN, OUT, FrameSeen, State, StateChanged
from inspector.recording import RecordingError, open_recording
from inspector.recording.pcapng_export import export_pcapng
from inspector.recording.pcapng_file import CaptureError, CaptureReader

ROOT = Path(__file__).resolve().parents[2]
LUA = ROOT / "resources" / "wireshark" / "realtime.lua"
AGG = "\x1f"  # between the values of one field in one packet (bodies hold commas)
T0 = 1764300000.0
SECRET = "pcap-secret-token-41c7"


def dissect(tshark: str, path: Path, *fields: str, display: str = "rtapi", lua: Path | None = LUA,
            env: dict | None = None, prefs: tuple[str, ...] = ()) -> list[list[list[str]]]:
    """One row per packet matching ``display``: for each field, its values in that packet."""
    cmd = [tshark, "-n", "-r", str(path), "-Y", display, "-T", "fields", "-E", "occurrence=a",
           "-E", f"aggregator={AGG}"]
    if lua is not None:
        cmd += ["-X", f"lua_script:{lua}"]
    for pref in prefs:
        cmd += ["-o", pref]
    for f in fields:
        cmd += ["-e", f]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    assert "Lua Error" not in r.stdout + r.stderr, r.stdout + r.stderr
    return [[v.split(AGG) if v else [] for v in line.split("\t")] for line in r.stdout.splitlines()]


def per_direction(rows: list[list[list[str]]], server_port: int) -> dict[str, list[list[str]]]:
    """Flatten tshark rows (first field tcp.srcport) into each direction's message order, per field."""
    out: dict[str, list[list[str]]] = {}
    for row in rows:
        direction = IN if int(row[0][0]) == server_port else OUT
        cols = out.setdefault(direction, [[] for _ in row[1:]])
        for i, values in enumerate(row[1:]):
            cols[i] += values
    return out


def expected(messages: list[bytes]) -> tuple[list[int], list[str], list[str], list[str], list[str]]:
    """(kinds, topics, JSON bodies, PING/PONG payloads as hex, ERROR codes) of messages as sent."""
    kinds, topics, bodies, payloads, codes = [], [], [], [], []
    for m in messages:
        kinds.append(m[0])
        if m[0] in (0x20, 0x21):
            if len(m) > 1:
                payloads.append(m[1:].hex())
            continue
        bodies.append(m[1:].decode().translate(TSHARK_ESCAPES))
        obj = json.loads(m[1:])
        if "topic" in obj:
            topics.append(obj["topic"])
        if m[0] == 0xFF:
            codes.append(obj["code"])
    return kinds, topics, bodies, payloads, codes


TSHARK_ESCAPES = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t"})  # as -T fields prints them
FIELDS = ("tcp.srcport", "rtapi.kind", "rtapi.topic", "rtapi.body", "rtapi.payload", "rtapi.error.code")


def check_dissection(tshark: str, path: Path, server_port: int, sent: list[bytes], received: list[bytes],
                     **kw) -> None:
    flows = per_direction(dissect(tshark, path, *FIELDS, **kw), server_port)
    for direction, messages in ((OUT, sent), (IN, received)):
        kinds, topics, bodies, payloads, codes = flows[direction]
        want = expected(messages)
        assert [int(k, 16) for k in kinds] == want[0], direction
        assert topics == want[1], direction
        assert bodies == want[2], direction
        assert payloads == want[3], direction
        assert codes == want[4], direction


# ------------------------------------------------------------------ a live capture of the mock


def start_dumpcap(dumpcap: str, port: int, path: Path) -> subprocess.Popen:
    proc = subprocess.Popen([dumpcap, "-i", "lo", "-f", f"tcp port {port}", "-w", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()  # "Capturing on 'Loopback: lo'" once it listens, else why not
    try:
        if "Capturing on" not in line:
            raise AssertionError(f"dumpcap did not start: {line.strip()}")
        wait_until_capturing(port, path)
    except AssertionError:
        stop(proc)
        raise
    return proc


def stop(proc: subprocess.Popen) -> None:
    """End dumpcap as Ctrl-C would (it finishes the file), and reap it."""
    proc.terminate()
    proc.wait(10)
    if proc.stderr is not None:
        proc.stderr.close()


def wait_until_capturing(port: int, path: Path, timeout: float = 15) -> None:
    """dumpcap says it captures a little before it does: knock on the port until a packet shows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        time.sleep(0.05)
        try:
            with open(path, "rb") as f:
                if any(True for _ in CaptureReader(f, path.name)):
                    return
        except (OSError, CaptureError):
            pass
    raise AssertionError("dumpcap captured nothing")


def wait_for_frames(path: Path, count: int, timeout: float = 15) -> None:
    """Until the capture file holds ``count`` messages of the realtime connection (dumpcap writes as it goes)."""
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        try:
            rec = open_recording(path)
        except RecordingError:  # not written yet
            rec = None
        if rec is not None:
            seen = sum(isinstance(ev, FrameSeen) and ev.conn == "ws1" for ev in rec.events(decode=False))
        if seen >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the capture holds {seen} of {count} messages")


async def client_session(url: str, control_url: str) -> tuple[list[bytes], list[bytes]]:
    """A real websockets client against the real mock: what it sent and what it received, in order."""
    sent: list[bytes] = []
    got: list[bytes] = []
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with ws_connect(url, additional_headers=headers, ping_interval=None, compression=None,
                          max_size=None) as ws:
        async def send(message: bytes, answers: int = 1) -> None:
            sent.append(message)
            await ws.send(message)
            for _ in range(answers):
                got.append(await asyncio.wait_for(ws.recv(), 5))

        await send(b'\x01{ "id": 1, "topic": "orders.eu" }')            # spaces, as another producer writes
        await send(b'\x01{"topic":"Bad Topic","id":2}')                   # ERROR invalid_topic, ref 2
        await send(b"\x02" + json.dumps({"topic": "ticker", "id": 3}).encode())  # ERROR not_subscribed
        await send(b"\x20" + bytes(range(8)))                             # PONG with the same bytes
        await send(b"\x20")                                               # an empty PING
        async with ws_connect(control_url, additional_headers=headers, ping_interval=None) as control:
            for data in ({"total": 250, "note": "caf\u00e9 \U0001F600"}, {"blob": "x" * 60_000}):
                await control.send(json.dumps({"op": "publish", "topic": "orders.eu", "data": data}))
                assert json.loads(await asyncio.wait_for(control.recv(), 5))["delivered"] == 1
                got.append(await asyncio.wait_for(ws.recv(), 5))
    return sent, got


def test_tshark_dissects_a_loopback_capture_of_the_mock(mock_server, dumpcap, tshark, tmp_path):
    srv = mock_server()
    cap = tmp_path / "live.pcapng"
    proc = start_dumpcap(dumpcap, srv.port, cap)
    try:
        sent, got = run(client_session(srv.url, srv.control_url))
        wait_for_frames(cap, len(sent) + len(got))
    finally:
        stop(proc)
    check_dissection(tshark, cap, srv.port, sent, got)
    # the control channel's JSON text frames are WebSocket too, but not ours: never claimed
    assert dissect(tshark, cap, "frame.number", display="websocket.opcode == 1 && rtapi") == []

    # replay reads the same capture back: every message of the realtime connection, byte for byte
    rec = open_recording(cap)
    frames = [ev for ev in rec if isinstance(ev, FrameSeen) and ev.conn == "ws1"]
    assert [ev.data for ev in frames if ev.direction == OUT] == sent
    assert [ev.data for ev in frames if ev.direction == IN] == got
    opened = [ev for ev in rec if isinstance(ev, StateChanged) and ev.conn == "ws1"]
    assert opened[0].state == State.OPEN and opened[0].message == srv.url
    assert opened[-1].state == State.CLOSED and opened[-1].code == 1000
    assert rec.warning is None


# ------------------------------------------------------------------ a capture exported from a recording


def recorded_session() -> tuple[list, list[bytes], list[bytes]]:
    """A recording's events (two connections, one of them reconnecting) and c1's messages by direction."""
    event = {"topic": "orders.eu", "type": "message", "seq": 42, "ts": 1764300000123,
             "data": {"id": "o-1", "total": 250, "note": "caf\u00e9"}}
    big = {"ts": 1764300000999, "data": {"blob": "y" * 200_000}, "seq": 43, "type": "message",
           "topic": "orders.eu"}  # another key order
    sent = [b'\x01{"id":7,"topic":"orders.eu","filter":"data.total > `100`"}', b'\x02{"topic":"orders.eu"}',
            b"\x20" + bytes(range(64)), b"\x21\x00\xff"]
    received = [b"\x10" + json.dumps(event).encode(),
                b'\x10{"topic":"orders.eu","type":"presence","ts":1,"data":{"action":"sync","members":["c-1"]}}',
                b"\xff" + json.dumps({"code": "not_subscribed", "message": "no such topic", "ref": None}).encode(),
                b"\x10" + json.dumps(big, indent=1).encode(), b"\x21", b"\x20\x01\x02"]
    events: list = [StateChanged("c1", T0, State.OPEN)]
    t = T0
    for i in range(max(len(sent), len(received))):
        for direction, messages in ((OUT, sent), (IN, received)):
            if i < len(messages):
                t += 0.01
                events.append(FrameSeen("c1", t, direction, messages[i]))
    events += [
        FrameSeen("c1", t + 0.01, IN, b"\x7a not ours"),                      # unknown kind: not claimed
        FrameSeen("c1", t + 0.02, OUT, b'\x01{"topic":"as text"}', text=True),  # a text frame: not claimed
        StateChanged("c1", t + 0.03, State.CLOSED, code=4401, reason="token expired"),
        StateChanged("c1", t + 0.04, State.WAITING, attempt=1, delay=0.5),
        StateChanged("c1", t + 0.5, State.OPEN),
        FrameSeen("c1", t + 0.51, OUT, b'\x01{"topic":"again"}'),
        StateChanged("c2", t + 0.6, State.OPEN),
        FrameSeen("c2", t + 0.61, IN, b'\xff{"code":"bad_frame","message":"x","ref":null}'),
    ]
    return events, [*sent, b'\x01{"topic":"again"}'], received


def test_tshark_dissects_a_capture_exported_from_a_recording(tshark, tmp_path):
    events, sent, received = recorded_session()
    path = tmp_path / "export.pcapng"
    urls = {"c1": f"ws://127.0.0.1:8765/api/v2/realtime?token={SECRET}",
            "c2": f"wss://user:{SECRET}@realtime.example.com/api/v2/realtime"}
    assert export_pcapng(events, path, conn_urls=urls) == len(sent) + len(received) + 2 + 1
    assert SECRET.encode() not in path.read_bytes()

    c1 = dissect(tshark, path, *FIELDS, display="rtapi && tcp.port == 8765")
    flows = per_direction(c1, 8765)
    for direction, messages in ((OUT, sent), (IN, received)):
        kinds, topics, bodies, payloads, codes = flows[direction]
        want = expected(messages)
        assert [int(k, 16) for k in kinds] == want[0]
        assert (topics, bodies, payloads, codes) == want[1:]
    c2 = dissect(tshark, path, "ip.dst", "tcp.srcport", "rtapi.error.code", display="rtapi && tcp.port == 80")
    assert c2 == [[["192.0.2.1"], ["80"], ["bad_frame"]]]
    seq = dissect(tshark, path, "rtapi.seq", display="rtapi.seq > 42")
    assert seq == [[["43"]]]

    # a well-formed capture: no TCP analysis warning, no bad checksum, nothing malformed
    prefs = ("ip.check_checksum:TRUE", "tcp.check_checksum:TRUE")
    bad = 'tcp.analysis.flags || ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || _ws.malformed'
    assert dissect(tshark, path, "frame.number", display=bad, prefs=prefs) == []
    # the handshake names the URL without its credentials; each TCP connection says whose it is
    requests = dissect(tshark, path, "http.request.full_uri", display="http.request")
    assert [r[0][0] for r in requests] == ["http://127.0.0.1:8765/api/v2/realtime?token=***"] * 2 + [
        "http://realtime.example.com/api/v2/realtime"]
    comments = dissect(tshark, path, "frame.comment", display="frame.comment")
    assert [json.loads(c[0][0].removeprefix("realtime-inspector ")) for c in comments] == [
        {"conn": "c1", "url": "ws://127.0.0.1:8765/api/v2/realtime?token=***"},
        {"conn": "c1", "url": "ws://127.0.0.1:8765/api/v2/realtime?token=***"},
        {"conn": "c2", "url": "wss://***@realtime.example.com/api/v2/realtime"}]
    closes = dissect(tshark, path, "websocket.payload.close.status_code", "websocket.mask",
                     display="websocket.opcode == 8")
    assert closes == [[["4401"], ["0"]], [["4401"], ["1"]]]  # the server's, unmasked; the client's answer, masked


def test_a_body_that_is_not_a_json_object_is_flagged_and_an_empty_object_is_not(tshark, tmp_path):
    path = tmp_path / "bodies.pcapng"
    export_pcapng([FrameSeen("c1", T0, OUT, b"\x01{}"), FrameSeen("c1", T0 + 0.1, OUT, b'\x01{"topic": [1,'),
                   FrameSeen("c1", T0 + 0.2, IN, b'\x10 \r\n{"topic":"a"}')], path, url="ws://127.0.0.1:8765/")
    rows = dissect(tshark, path, "rtapi.kind", "rtapi.topic", "_ws.expert.message")
    assert rows == [[["0x01"], [], []], [["0x01"], [], ["Body is not a JSON object"]], [["0x10"], ["a"], []]]
