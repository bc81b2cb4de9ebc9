"""``realtime-inspector export FILE --arrow OUT --parquet OUT`` from every kind of file the app opens."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from framegen import T0, event, ping, subscribe

from inspector.cli.main import main
from inspector.logstore.event_heads import NO_SEQ
from inspector.logstore.frame_store import FrameStore
from inspector.logstore.live_session import LiveSession
from inspector.logstore.recording_source import prepare
from inspector.protocol.events import State, StateChanged
from inspector.recording import RecordingWriter
from inspector.recording.pcapng_export import export_pcapng

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _events():
    return [StateChanged("c1", T0, State.OPEN), subscribe("orders.eu", t=T0 + 0.1)] + [
        event(seq=i, topic=("orders.eu", "prices.gbp")[i % 2], t=T0 + 1 + i / 10) for i in range(1, 40)] + [
        ping(t=T0 + 9)]


def _rirec(tmp_path):
    path = tmp_path / "a.rirec"
    with RecordingWriter(path, created=T0) as w:
        for ev in _events():
            w.write_event(ev)
    return path


def _store(tmp_path):
    store = FrameStore()
    live = LiveSession(tmp_path / "data", on_error=pytest.fail)
    live.attach(store)
    for ev in _events():
        if isinstance(ev, StateChanged):
            store.add_session(ev)
        else:
            store.extend([ev])
    live.close()
    return live.folder


def _pcapng(tmp_path):
    path = tmp_path / "a.pcapng"
    export_pcapng([ev for ev in _events() if not isinstance(ev, StateChanged)], path, url="ws://127.0.0.1:1/x")
    return path


SOURCES = {"rirec": _rirec, "store": _store, "pcapng": _pcapng,
           "har": lambda _tmp: FIXTURES / "playwright-chromium-minimal.har"}


@pytest.mark.parametrize("source", list(SOURCES))
def test_export_arrow_and_parquet_hold_the_rows_the_app_shows(tmp_path, capsys, source):
    path = SOURCES[source](tmp_path)
    arrow, parquet = tmp_path / "out.arrow", tmp_path / "out.parquet"
    assert main(["export", str(path), "--arrow", str(arrow), "--parquet", str(parquet)]) == 0
    rows = prepare(path).frames
    with pa.memory_map(str(arrow)) as source_file:
        table = pa.ipc.open_file(source_file).read_all()
    assert pq.read_table(parquet).to_pylist() == table.to_pylist()
    assert table.num_rows == len(rows) > 0 and f"{len(rows):,} rows" in capsys.readouterr().out
    assert table.column("data").to_pylist() == rows.data
    assert table.column("t").to_pylist() == rows.t.tolist()
    assert table.column("topic").to_pylist() == [rows.topics[i] for i in rows.topic]
    assert table.column("conn").to_pylist() == [rows.conns[i] for i in rows.conn]
    assert "EVENT" in table.column("kind_name").to_pylist()


def test_events_per_topic_per_second_from_the_export(tmp_path):
    arrow = tmp_path / "out.arrow"
    assert main(["export", str(_rirec(tmp_path)), "--arrow", str(arrow)]) == 0
    table = pa.ipc.open_file(str(arrow)).read_all()
    events = table.filter(pc.equal(table.column("kind_name").cast(pa.string()), "EVENT"))
    per = events.group_by(["topic"]).aggregate([("t", "count")]).to_pylist()
    assert {r["topic"]: r["t_count"] for r in per} == {"orders.eu": 19, "prices.gbp": 20}


def test_export_needs_an_output_and_a_readable_file(tmp_path, capsys):
    assert main(["export", str(_rirec(tmp_path))]) == 2
    assert "needs --arrow OUT or --parquet OUT" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "missing.rirec"), "--arrow", str(tmp_path / "x.arrow")]) == 2
    assert not (tmp_path / "x.arrow").exists()


def _big_store(tmp_path, blocks=5):
    """A store of several blocks, with connection events, gaps and a connection id the labels file lacks."""
    from inspector.logstore.session_store.layout import create_session
    from inspector.logstore.session_store.schema import Rows
    from inspector.logstore.session_store.writer import SessionWriter

    folder = create_session(tmp_path / "data")
    with SessionWriter(folder, block_rows=40) as w:
        for b in range(blocks):
            n = 37
            data = [b'{"type":"EVENT","topic":"t%d","seq":%d}' % (i % 3, b * n + i) if i % 5 else b"state open"
                    for i in range(n)]
            w.append(Rows(t=[T0 + b + i / 100 for i in range(n)], conn=[i % 2 + (b == 4) for i in range(n)],
                          direction=[2 if i % 5 == 0 else i % 2 for i in range(n)],
                          kind=[-3 if i % 5 == 0 else (b % 3) + 1 for i in range(n)], topic=[i % 3 for i in range(n)],
                          seq=[NO_SEQ if i % 5 == 0 else b * n + i for i in range(n)], flags=[i % 2 for i in range(n)],
                          data=data, gap=[3 if i == 7 else 0 for i in range(n)]),
                     conns=["c1", "c2"], topics=["t0", "t1", "t2"])
    return folder


def test_a_store_exports_block_by_block_the_same_table_as_read_whole(tmp_path, capsys):
    from inspector.logstore.session_store.reader import SessionReader
    from inspector.logstore.table_export import rows_table

    folder = _big_store(tmp_path)
    with SessionReader(folder) as r:
        assert len(r.blocks) > 3 and len(r) == 185
    arrow, parquet = tmp_path / "out.arrow", tmp_path / "out.parquet"
    assert main(["export", str(folder), "--arrow", str(arrow), "--parquet", str(parquet)]) == 0
    assert capsys.readouterr().out.count("185 rows") == 2
    whole = rows_table(folder)
    streamed = pa.ipc.open_file(str(arrow)).read_all()
    assert streamed.schema.equals(whole.schema, check_metadata=True)
    assert streamed.to_pylist() == whole.to_pylist()
    assert pq.read_table(parquet).to_pylist() == whole.to_pylist()
    assert set(streamed.column("conn").to_pylist()) == {f"{folder.name}:c1", f"{folder.name}:c2",
                                                        f"{folder.name}:#2"}
    assert streamed.column("gap").to_pylist().count(3) == 5


def test_a_damaged_store_block_is_one_line_and_leaves_no_file(tmp_path, capsys):
    from inspector.logstore.session_store.reader import SessionReader

    folder = _big_store(tmp_path)
    with SessionReader(folder) as r:
        b = r.blocks[2]
        path = r.path
    raw = bytearray(path.read_bytes())
    raw[b.offset + 8: b.offset + 48] = b"\xff" * 40  # the block's message header
    path.write_bytes(bytes(raw))
    arrow = tmp_path / "out.arrow"
    assert main(["export", str(folder), "--arrow", str(arrow)]) == 2
    err = capsys.readouterr().err
    assert "block 2" in err and len(err.strip().splitlines()) == 1
    assert not arrow.exists() and not list(tmp_path.glob("*.part"))
