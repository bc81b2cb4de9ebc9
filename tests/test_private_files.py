"""Files that hold traffic or profiles are 0600 and the app's folders 0700, whatever the umask."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from inspector.private_files import create_private, make_private_dir
from inspector.profiles import ProfileStore
from inspector.protocol.events import IN, FrameSeen
from inspector.recording import RecordingWriter
from inspector.recording.export import export_har, export_recording
from inspector.recording.process_writer import ProcessRecordingWriter

T0 = 1_700_000_000.0
EVENTS = [FrameSeen("c1", T0 + i, IN, b'{"type":"message","topic":"t","seq":%d,"data":{}}' % i) for i in range(3)]


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def open_umask():
    old = os.umask(0o022)  # the common default: new files 0644, folders 0755
    yield
    os.umask(old)


def test_recording_writers_create_0600_files(tmp_path):
    with RecordingWriter(tmp_path / "a.rirec") as w:
        w.write_event(EVENTS[0])
    with ProcessRecordingWriter(tmp_path / "b.rirec") as pw:
        pw.write_event(EVENTS[0])
    assert mode(tmp_path / "a.rirec") == 0o600
    assert mode(tmp_path / "b.rirec") == 0o600


def test_exports_are_0600_even_over_an_existing_0644_file(tmp_path):
    for name in ("x.rirec", "x.har"):
        (tmp_path / name).write_text("old")
        os.chmod(tmp_path / name, 0o644)
    export_recording(EVENTS, tmp_path / "x.rirec")
    export_har(EVENTS, tmp_path / "x.har", url="ws://127.0.0.1:1/api/v2/realtime")
    export_har(EVENTS, tmp_path / "new.har", url="ws://127.0.0.1:1/api/v2/realtime")
    assert [mode(tmp_path / n) for n in ("x.rirec", "x.har", "new.har")] == [0o600] * 3


def test_create_private_truncates_and_tightens(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"previous content")
    os.chmod(path, 0o666)
    os.close(create_private(path))
    assert path.read_bytes() == b"" and mode(path) == 0o600


def test_make_private_dir_tightens_its_folder_not_the_parents(tmp_path):
    parent = tmp_path / "shared"
    parent.mkdir(mode=0o755)
    ours = make_private_dir(parent / "app" / "recordings")
    assert mode(ours) == 0o700 and mode(parent) == 0o755
    os.chmod(ours, 0o755)
    make_private_dir(ours)
    assert mode(ours) == 0o700


def test_profile_store_saves_private(tmp_path):
    store = ProfileStore(tmp_path / "cfg")
    store.load()
    store.save()
    assert mode(tmp_path / "cfg") == 0o700 and mode(store.path) == 0o600


def test_profile_file_readable_by_others_is_tightened_once_with_a_log_line(tmp_path, caplog):
    store = ProfileStore(tmp_path / "cfg")
    store.load()
    store.save()
    os.chmod(store.path, 0o644)
    with caplog.at_level(logging.WARNING, logger="inspector.profiles"):
        ProfileStore(tmp_path / "cfg").load()
        ProfileStore(tmp_path / "cfg").load()
    assert mode(store.path) == 0o600
    lines = [r.getMessage() for r in caplog.records if "readable by others" in r.getMessage()]
    assert len(lines) == 1 and "0644" in lines[0] and "0600" in lines[0]
