"""The app's export dialog writes pcapng for Wireshark, and the app opens a capture like a recording."""

from __future__ import annotations

import windows
from framegen import T0, event, raw
from qasync_loop import run

from inspector.protocol.events import OUT, FrameSeen
from inspector.qt.recording.recording_ui import PCAPNG_EXPORT_FILTER
from inspector.recording import open_recording
from inspector.recording.pcapng_file import PCAPNG_MAGIC


def make_window(qtbot, tmp_path):
    """The app's window (tests/qt/windows.py) and its recording UI, saving under tmp_path."""
    w = windows.make_window(qtbot, tmp_path)
    return w, w.recording


async def close_window(w) -> None:
    await windows.close_window(w, stop_recording=True)


def test_export_dialog_writes_pcapng_and_the_app_opens_it_back(qtbot, qloop, tmp_path):
    w, ui = make_window(qtbot, tmp_path)
    frames = [event(seq=i, t=T0 + i) for i in range(1, 4)] + [
        raw(b'\x01{"topic":"orders.eu"}', direction=OUT, t=T0 + 5), raw(b"\x7a?", t=T0 + 6),
        raw("text \u2028".encode(), t=T0 + 7, text=True)]
    w.log_panel.store.extend(frames)
    w.log_panel.flush()
    dlg = ui.export_dialog()
    dlg.filterSelected.emit(PCAPNG_EXPORT_FILTER)
    assert dlg.defaultSuffix() == "pcapng"
    out = tmp_path / "for-wireshark.pcapng"
    with qtbot.waitSignal(ui.exported, timeout=10000):
        dlg.fileSelected.emit(str(out))
    dlg.reject()
    assert out.read_bytes()[:4] == PCAPNG_MAGIC and out.stat().st_mode & 0o777 == 0o600
    back = [ev for ev in open_recording(out) if isinstance(ev, FrameSeen)]
    assert [(ev.t, ev.direction, ev.data, ev.text) for ev in back] == [
        (f.t, f.direction, f.data, f.text) for f in frames]

    with qtbot.waitSignal(ui.opened, timeout=20000) as blocker:
        ui.open_path(out)
    view = blocker.args[0]
    assert view.recording.frame_count == len(frames)
    assert [view.log_panel.store.data(i) for i in range(len(view.log_panel.store))
            if not view.log_panel.store.is_session(i)] == [f.data for f in frames]
    run(qloop, close_window(w))
