"""The command line on the session store: ``tail --record DIR`` writes a store folder that
``replay``, ``mock --replay``, ``replay --pcapng/--har`` and ``export`` read, and
``conform --artifacts`` writes its failed cases as store folders. Real mock, real sockets."""

from __future__ import annotations

import base64
import json
import os
import re
import resource
import signal
import subprocess
import time
from pathlib import Path

import pyarrow.parquet as pq
from cli_proc import CLI, Proc, cli

from inspector.cli.main import main
from inspector.logstore.session_store.layout import read_meta
from inspector.logstore.session_store.reader import SessionReader
from inspector.logstore.store_source import open_any
from inspector.protocol.events import IN, FrameSeen
from inspector.recording import open_recording

TOKEN = "cli-store-token-5d1e"
ODD = ["\u2028 line sep", "\u2029", "emoji \U0001F600", "nul \x00", 'quote " and \\', "last one"]


def _tail(url: str, folder: Path, *extra: str, preexec_fn=None) -> Proc:
    return Proc("tail", url, "--token", TOKEN, "--subscribe", "odd", "--json", "--record", str(folder), *extra,
                preexec_fn=preexec_fn)


def _printed_frames(lines: list[str]) -> list[tuple[float, str, bytes]]:
    return [(o["t"], o["dir"], base64.b64decode(o["raw_b64"])) for o in map(json.loads, lines)
            if o["event"] == "frame"]


def _stored_frames(folder: Path) -> list[tuple[float, str, bytes]]:
    return [(e.t, e.direction, bytes(e.data)) for e in open_any(folder).events(decode=False) if type(e) is FrameSeen]


def _wait_on_disk(folder: Path, frames: list, within: float = 10) -> None:
    deadline = time.monotonic() + within
    while _stored_frames(folder) != frames:
        assert time.monotonic() < deadline, (_stored_frames(folder), frames)
        time.sleep(0.02)  # poll again


def _record(srv, folder: Path, values=ODD) -> list[str]:
    """tail --record ``folder`` while the mock publishes ``values`` on "odd"; the lines tail printed."""
    proc = _tail(f"{srv.url}?token={TOKEN}", folder, "--ping-every", "0.05")  # a token in the URL too
    proc.until('"state":"active"')
    proc.until('"event":"rtt"')
    for value in values:
        srv.call(srv.server.publish, "odd", {"v": value})
    proc.until(json.dumps(values[-1])[1:-1])
    proc.p.send_signal(signal.SIGINT)
    rc, lines, err = proc.finish(20)
    assert rc == 0, err
    return lines


def test_tail_records_a_store_folder_holding_every_frame_it_printed(mock_server, tmp_path):
    srv = mock_server()
    folder = tmp_path / "session"
    lines = _record(srv, folder)
    printed = _printed_frames(lines)
    assert _stored_frames(folder) == printed  # same frames, bytes, times and order
    received = [json.loads(d[1:])["data"]["v"] for _, dr, d in printed if dr == IN and d[:1] == b"\x10"
                and json.loads(d[1:])["type"] == "message"]
    assert received == ODD
    meta = read_meta(folder)
    assert meta["closed"] is True and meta["profile"] == "tail" and "token=***" in meta["url"]
    with SessionReader(folder) as reader:
        assert reader.note == "" and len(reader) == meta["rows"]
        assert "c1" in reader.conns and "odd" in reader.topics
    assert folder.stat().st_mode & 0o777 == 0o700
    for f in folder.iterdir():
        assert f.stat().st_mode & 0o777 == 0o600, f
        assert TOKEN.encode() not in f.read_bytes(), f


def test_replay_prints_a_recorded_store_as_tail_printed_it(mock_server, tmp_path):
    srv = mock_server()
    folder = tmp_path / "session"
    lines = _record(srv, folder)
    replay = cli("replay", str(folder), "--json")
    assert replay.returncode == 0 and replay.stderr == ""
    frames = [line for line in replay.stdout.splitlines() if json.loads(line)["event"] == "frame"]
    assert frames == [line for line in lines if json.loads(line)["event"] == "frame"]  # the very same lines
    states = [json.loads(line)["state"] for line in replay.stdout.splitlines() if json.loads(line)["event"] == "state"]
    assert states[:2] == ["connecting", "open"]


def _start_mock(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([*CLI, "mock", "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    first = proc.stdout.readline()
    match = re.match(r"^listening on (ws://127\.0\.0\.1:\d+/api/v2/realtime)$", first.strip())
    assert match, (first, proc.stderr.read() if proc.poll() is not None else "")
    return proc, match.group(1)


def test_mock_replays_a_store_recorded_by_tail(mock_server, kit, tmp_path):
    srv = mock_server()
    folder = tmp_path / "session"
    values = [*ODD, *(f"v{i}" for i in range(40))]
    _record(srv, folder, values)
    recorded = [json.loads(d[1:]) for _, dr, d in _stored_frames(folder)
                if dr == IN and d[:1] == b"\x10" and json.loads(d[1:])["type"] == "message"]
    assert len(recorded) == len(values)
    proc, url = _start_mock("--replay", str(folder), "--speed", "0")
    try:
        async def go():
            async with kit.connect(url) as ws:
                await kit.subscribe(ws, "odd")
                return [await kit.recv_json(ws, timeout=5) for _ in recorded]
        got = kit.run(go())
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err

    def without_ts(body: dict) -> dict:  # the mock stamps ts with the delivery time (mock --replay's rule)
        return {k: v for k, v in body.items() if k != "ts"}
    assert [without_ts(b) for b in got] == [without_ts(b) for b in recorded]  # same topic, type, seq, data
    assert [list(b) for b in got] == [list(b) for b in recorded]  # key order as recorded


def test_replay_writes_a_store_as_pcapng_and_har_and_export_reads_it(mock_server, tmp_path):
    srv = mock_server()
    folder = tmp_path / "session"
    _record(srv, folder)
    stored = [(d, data) for _, d, data in _stored_frames(folder)]
    for fmt in ("pcapng", "har"):
        out = tmp_path / f"s.{fmt}"
        r = cli("replay", str(folder), f"--{fmt}", str(out))
        assert r.returncode == 0 and f"to {out}" in r.stderr, r.stderr
        assert out.stat().st_mode & 0o777 == 0o600
        again = [(e.direction, bytes(e.data)) for e in open_recording(out).events(decode=False)
                 if type(e) is FrameSeen]
        assert again == stored, fmt
    r = cli("export", str(folder), "--parquet", str(tmp_path / "s.parquet"))
    assert r.returncode == 0, r.stderr
    table = pq.read_table(tmp_path / "s.parquet")
    rows = [(d, bytes(b)) for d, b in zip(table.column("direction").to_pylist(), table.column("data").to_pylist(),
                                          strict=True) if d]
    assert rows == stored


def test_a_full_disk_stops_the_recording_with_one_line_and_tail_prints_on(mock_server, tmp_path):
    srv = mock_server()
    folder = tmp_path / "session"

    def small_files():  # a file may grow to 64 KB; past that a write fails (EFBIG), as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    proc = _tail(srv.url, folder, preexec_fn=small_files)
    proc.until('"state":"active"')
    for value in ODD:
        srv.call(srv.server.publish, "odd", {"v": value})
    proc.until("last one")
    _wait_on_disk(folder, _printed_frames(proc.lines))
    big = "x" * 1000
    for i in range(200):  # 200 KB: well past the limit
        srv.call(srv.server.publish, "odd", {"v": f"{i} {big}"})
    proc.until('"v":"199 ')
    srv.call(srv.server.publish, "odd", {"v": "after the failure"})
    proc.until("after the failure")  # tail carries on printing
    proc.p.send_signal(signal.SIGINT)
    rc, lines, err = proc.finish(20)
    assert rc == 0, err
    assert err.splitlines() == [
        f"realtime-inspector: session store stopped writing: File too large ({folder}); "
        "tail carries on without recording"]
    printed = _printed_frames(lines)
    with SessionReader(folder) as reader:
        assert reader.note == ""  # what was written is whole
    stored = _stored_frames(folder)
    assert len(ODD) < len(stored) < len(printed) and stored == printed[:len(stored)]


def test_a_killed_tail_leaves_every_frame_written_so_far(mock_server, tmp_path):
    srv = mock_server()
    folder = tmp_path / "session"
    proc = _tail(srv.url, folder)
    proc.until('"state":"active"')
    for value in ODD:
        srv.call(srv.server.publish, "odd", {"v": value})
    proc.until("last one")
    printed = _printed_frames(proc.lines)

    _wait_on_disk(folder, printed)  # the writer flushes on its own, without an exit
    proc.p.kill()
    proc.finish(20)
    assert read_meta(folder)["closed"] is False
    assert _stored_frames(folder) == printed


def test_a_record_target_that_cannot_be_a_session_is_one_line_before_connecting(mock_server, tmp_path):
    srv = mock_server()
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("mine")
    (tmp_path / "file").write_text("mine")
    for target, why in ((tmp_path / "no-such-dir" / "s", "No such file or directory"),
                        (tmp_path / "taken", "the folder is not empty (a session is never written over)"),
                        (tmp_path / "file", "it exists and is not a folder")):
        r = cli("tail", srv.url, "--token", TOKEN, "--count", "1", "--record", str(target))
        assert r.returncode == 2 and r.stdout == "", r.stderr
        assert r.stderr.splitlines() == [f"realtime-inspector: error: cannot record to {target}: {why}"]
    assert (tmp_path / "file").read_text() == "mine" and os.listdir(tmp_path / "taken") == ["x"]


def test_conform_artifacts_are_store_folders(mock_server, tmp_path, capsys):
    server = mock_server(tokens=frozenset({TOKEN}), faults=("wrong-error-code",))
    out = tmp_path / "artifacts"
    report_json = tmp_path / "r.json"
    assert main(["conform", server.url, "--token", TOKEN, "--cases", "error-unknown-kind,ping-echo-0",
                 "--artifacts", str(out), "--json", str(report_json)]) == 1
    capsys.readouterr()
    failed = next(r for r in json.loads(report_json.read_text())["results"] if r["case"] == "error-unknown-kind")
    folder = out / "error-unknown-kind"
    assert sorted(p.name for p in out.iterdir()) == ["error-unknown-kind", "error-unknown-kind.har"]
    assert failed["artifact"] == str(folder) and folder.stat().st_mode & 0o777 == 0o700
    frames = [e for e in open_any(folder).events() if type(e) is FrameSeen]
    offending = frames[failed["frame"]]
    assert offending.direction == IN and offending.data[0] == 0xFF and b"bad_frame" in offending.data
    har = [(e.direction, bytes(e.data)) for e in open_recording(out / "error-unknown-kind.har").events()
           if type(e) is FrameSeen]
    assert [(e.direction, bytes(e.data)) for e in frames] == har
    for f in folder.iterdir():
        assert TOKEN.encode() not in f.read_bytes()
    assert main(["conform", server.url, "--token", TOKEN, "--cases", "error-unknown-kind",
                 "--artifacts", str(out)]) == 1  # a second run keeps the first's folder
    capsys.readouterr()
    assert (out / "error-unknown-kind-2" / "frames.arrows").is_file() and (folder / "frames.arrows").is_file()
