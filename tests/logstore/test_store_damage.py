"""Torn, damaged and foreign files: the reader recovers a whole prefix or says what is wrong in
one line (StoreError), and never fails otherwise. A full disk stops the writer, not the caller."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_kit import CONNS, TOPICS, FullDisk, FullDiskV, as_rows, batch

from inspector.logstore.session_store import block_index, writer
from inspector.logstore.session_store.errors import StoreError
from inspector.logstore.session_store.layout import DATA_FILE, INDEX_FILE, LABELS_FILE, create_session
from inspector.logstore.session_store.reader import SessionReader
from inspector.logstore.session_store.writer import SessionWriter

BATCHES = 6
EXPECTED = [row for k in range(BATCHES) for row in as_rows(batch(k))]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = create_session(tmp_path_factory.mktemp("whole"))
    with SessionWriter(folder, block_rows=70) as w:
        for k in range(BATCHES):
            w.append(batch(k), CONNS, TOPICS)
    return folder


def _copy(folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("copy") / "s"
    shutil.copytree(folder, out)
    return out


def _read_all(folder):
    """Every row, or the StoreError that stopped the reading."""
    try:
        with SessionReader(folder) as r:
            return r.rows(0, len(r)), r
    except StoreError as exc:
        assert "\n" not in str(exc) and str(exc)
        return None, None


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 10**6), index_cut=st.one_of(st.none(), st.integers(0, 500)))
def test_a_torn_tail_gives_back_a_whole_prefix(written, tmp_path_factory, cut, index_cut):
    folder = _copy(written, tmp_path_factory)
    data = (folder / DATA_FILE).read_bytes()
    (folder / DATA_FILE).write_bytes(data[:cut % (len(data) + 1)])
    if index_cut is not None:
        index = (folder / INDEX_FILE).read_bytes()
        (folder / INDEX_FILE).write_bytes(index[:index_cut])
    rows, reader = _read_all(folder)
    if rows is None:  # cut inside the schema: not a session file any more
        assert cut % (len(data) + 1) < 700
        return
    assert rows == EXPECTED[:len(rows)]
    if not rows and reader.lost_bytes == 0:  # a schema alone, no index entry left: a session with no rows yet
        assert index_cut is not None and index_cut < len(block_index.MAGIC) + block_index.ENTRY_SIZE
    elif len(rows) < len(EXPECTED):
        assert reader.note == f"recovered {len(rows)} rows, lost {reader.lost_bytes} bytes"


@pytest.mark.parametrize("blocks_kept", [0, 1, 3])
def test_data_cut_at_a_block_boundary_is_noticed_from_the_index(written, tmp_path_factory, blocks_kept):
    folder = _copy(written, tmp_path_factory)
    with SessionReader(written) as whole:
        ends = [whole.blocks[0].offset, *(b.end for b in whole.blocks)]
    data = (folder / DATA_FILE).read_bytes()
    (folder / DATA_FILE).write_bytes(data[:ends[blocks_kept]])
    rows, reader = _read_all(folder)
    assert rows == EXPECTED[:70 * blocks_kept]
    assert reader.lost_bytes == len(data) - ends[blocks_kept]
    assert reader.note == f"recovered {len(rows)} rows, lost {reader.lost_bytes} bytes"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from([DATA_FILE, INDEX_FILE, LABELS_FILE]), back=st.integers(1, 3000),
       bit=st.integers(0, 7), more=st.lists(st.tuples(st.integers(1, 3000), st.integers(0, 255)), max_size=4))
def test_flipped_bits_near_the_end_never_break_the_reader(written, tmp_path_factory, which, back, bit, more):
    folder = _copy(written, tmp_path_factory)
    raw = bytearray((folder / which).read_bytes())
    for pos, value in [(back, 1 << bit), *more]:
        raw[max(0, len(raw) - pos)] ^= value
    (folder / which).write_bytes(bytes(raw))
    rows, _ = _read_all(folder)  # StoreError or rows; any other exception fails the test
    if rows is not None:
        assert len(rows) <= len(EXPECTED)


def test_missing_index_is_rebuilt_from_the_data(written, tmp_path_factory):
    folder = _copy(written, tmp_path_factory)
    (folder / INDEX_FILE).unlink()
    with SessionReader(folder) as r:
        assert r.rows(0, len(r)) == EXPECTED
        assert r.note == f"recovered {len(EXPECTED)} rows, lost 0 bytes"


@pytest.mark.parametrize("content", [b"", b"not arrow at all", b"\xff\xff\xff\xff" + b"\x00" * 100])
def test_a_file_that_is_not_a_session_is_named_so(tmp_path, content):
    folder = create_session(tmp_path)
    (folder / DATA_FILE).write_bytes(content)
    with pytest.raises(StoreError, match="is not a session store file"):
        SessionReader(folder)


def test_a_missing_session_is_named_so(tmp_path):
    with pytest.raises(StoreError, match="cannot open"):
        SessionReader(tmp_path / "nowhere")


def test_another_arrow_layout_is_refused(tmp_path):
    import pyarrow as pa

    folder = create_session(tmp_path)
    with pa.ipc.new_stream(str(folder / DATA_FILE), pa.schema([("x", pa.int8())])) as w:
        w.write_batch(pa.record_batch([pa.array([1], pa.int8())], names=["x"]))
    with pytest.raises(StoreError, match="different Arrow layout"):
        SessionReader(folder)


@pytest.mark.parametrize("disk", [FullDisk, FullDiskV])
@pytest.mark.parametrize("room", [700, 2_000, 9_000, 20_000])
@pytest.mark.parametrize("scatter", [False, True])
def test_a_full_disk_stops_the_writer_and_keeps_what_was_written(tmp_path, monkeypatch, room, disk, scatter):
    """... whether the blocks' rows are joined or written as they are (``scatter``)."""
    if scatter:
        monkeypatch.setattr(writer, "SCATTER_ROW_BYTES", 0)
    folder = create_session(tmp_path)
    left = [room]
    w = SessionWriter(folder, block_rows=50, opener=lambda path: disk(path, left))
    whole = []
    for k in range(20):
        w.append(batch(k), CONNS, TOPICS)  # never raises
        w.flush()
        if not w.error:
            whole.append(k)
    w.close()
    assert w.error == f"session store stopped writing: No space left on device ({folder})"
    assert w.rows_written == 50 * len(whole) and w.rows_dropped == 50 * (20 - len(whole))
    with SessionReader(folder) as r:
        assert r.rows(0, len(r)) == [row for k in whole for row in as_rows(batch(k))]
        assert r.note == ""  # cut back to the last whole batch: nothing torn


def test_a_session_that_cannot_be_created_says_why(tmp_path):
    folder = create_session(tmp_path)
    left = [10]
    with pytest.raises(StoreError, match=r"cannot write a session in .*: No space left on device"):
        SessionWriter(folder, opener=lambda path: FullDisk(path, left))


def test_one_writer_per_session(tmp_path):
    folder = create_session(tmp_path)
    with SessionWriter(folder), pytest.raises(StoreError, match=r"cannot write a session in .*: another writer has"):
        SessionWriter(folder)
