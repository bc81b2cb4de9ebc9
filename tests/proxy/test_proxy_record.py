"""``proxy --record``: both sides of every pair in one recording, and everything that reads
recordings reads it: ``replay --json``, HAR export (each pair an entry, both directions)
and ``replay --pcapng`` (each pair a TCP connection carrying both directions)."""

from __future__ import annotations

import base64
import json

from cli_proc import cli
from proxy_kit import record_two_pairs

from inspector.protocol.events import IN, OUT, FrameSeen
from inspector.recording import open_recording
from inspector.recording.export import export_har

PAIRS = {"1": [(OUT, b"SUBSCRIBE"), (IN, b"EVENT"), (OUT, b"\x20pair 1"), (IN, b"\x21pair 1")],
         "2": [(OUT, b"SUBSCRIBE"), (IN, b"EVENT"), (OUT, b"\x20pair 2"), (IN, b"\x21pair 2")]}


def _shape(frames: list[FrameSeen]) -> dict[str, list[tuple[str, bytes]]]:
    """Per pair, each frame's direction and (for SUBSCRIBE and its EVENT answer) its kind name."""
    names = {0x01: b"SUBSCRIBE", 0x10: b"EVENT"}
    out: dict[str, list[tuple[str, bytes]]] = {}
    for f in frames:
        data = bytes(f.data)
        out.setdefault(f.conn, []).append((f.direction, names.get(data[0], data)))
    return out


def test_a_proxy_recording_is_read_by_replay_har_export_and_pcapng_export(mock_server, kit, tmp_path) -> None:
    mock = mock_server()
    record = tmp_path / "both.rirec"
    record_two_pairs(mock.url, str(record), kit)
    frames = [ev for ev in open_recording(record) if isinstance(ev, FrameSeen)]
    assert _shape(frames) == PAIRS

    replayed = cli("replay", str(record), "--json")
    assert replayed.returncode == 0, replayed.stderr
    lines = [json.loads(line) for line in replayed.stdout.splitlines() if '"event":"frame"' in line]
    assert [(r["conn"], r["dir"]) for r in lines] == [(f.conn, f.direction) for f in frames]

    har = tmp_path / "both.har"
    assert export_har(open_recording(record), har) == len(frames)
    entries = json.loads(har.read_text())["log"]["entries"]
    assert [e["_inspectorConnection"] for e in entries] == ["1", "2"]
    for entry in entries:
        mine = [f for f in frames if f.conn == entry["_inspectorConnection"]]
        messages = entry["_webSocketMessages"]
        assert [m["type"] for m in messages] == ["send" if f.direction == OUT else "receive" for f in mine]
        assert [base64.b64decode(m["data"]) if m["opcode"] == 2 else m["data"].encode() for m in messages] == [
            bytes(f.data) for f in mine]

    capture = tmp_path / "both.pcapng"
    exported = cli("replay", str(record), "--pcapng", str(capture))
    assert exported.returncode == 0, exported.stderr
    back = [ev for ev in open_recording(capture) if isinstance(ev, FrameSeen)]
    assert [(f.conn, f.direction, bytes(f.data)) for f in back] == [(f.conn, f.direction, bytes(f.data))
                                                                     for f in frames]
    assert kit.TOKEN.encode() not in record.read_bytes() + har.read_bytes() + capture.read_bytes()
