"""The app opens what ``proxy --record`` wrote: each pair a connection of its own, what the
client sent as client → server and what the server sent as server → client."""

from __future__ import annotations

import windows
from proxy_kit import record_two_pairs
from qasync_loop import run

from inspector.protocol.events import IN, OUT, FrameSeen
from inspector.qt.log.model import COL_CONN, COL_DIR
from inspector.recording import open_recording


def test_the_app_opens_a_proxy_recording_with_both_sides_of_each_pair(qtbot, qloop, mock_server, kit,
                                                                       tmp_path) -> None:
    record = tmp_path / "both.rirec"
    record_two_pairs(mock_server().url, str(record), kit)
    frames = [ev for ev in open_recording(record) if isinstance(ev, FrameSeen)]
    w = windows.make_window(qtbot, tmp_path)
    with qtbot.waitSignal(w.recording.opened, timeout=20000) as blocker:
        w.recording.open_path(record)
    store = blocker.args[0].log_panel.store
    rows = [(store.conn(i), store.direction(i), store.data(i)) for i in range(len(store)) if not store.is_session(i)]
    assert rows == [(f"both.rirec:{f.conn}", f.direction, bytes(f.data)) for f in frames]  # a file's conns: FILE:conn
    assert {(conn, d) for conn, d, _ in rows} == {(f"both.rirec:{n}", d) for n in "12" for d in (OUT, IN)}
    model = blocker.args[0].log_panel.model
    qtbot.waitUntil(lambda: model.rowCount() > 0)
    shown = {model.index(r, COL_DIR).data() for r in range(model.rowCount())
             if str(model.index(r, COL_CONN).data()).startswith("both.rirec:")}
    assert {"client → server", "server → client"} <= shown and not shown & {"→", "←"}  # words, as live
    run(qloop, windows.close_window(w, stop_recording=True))
