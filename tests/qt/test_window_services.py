"""The window's seams (inspector/qt/window_services.py): the real window offers what its parts
take, and each kind of document is a Document the window shows, points the log actions at and
closes. mypy checks the same at every call site; these check it at run time, on real widgets."""

from __future__ import annotations

import inspect
import json

import pytest
from framegen import T0, event
from qasync_loop import run, until
from windows import close_window, make_window

from inspector.logstore.recording_source import prepare
from inspector.profiles import local_mock_profile
from inspector.protocol.events import State, StateChanged
from inspector.qt.conformance.check_view import CheckView
from inspector.qt.load.load_run import FORMAT, read
from inspector.qt.load.load_view import LoadRunView
from inspector.qt.log.panel import LogPanel
from inspector.qt.recording.recording_view import RecordingView
from inspector.qt.session.connection_tab import token_source
from inspector.qt.window_services import Document, RecordingHost, WindowServices, document_widget
from inspector.recording import RecordingWriter


def test_the_window_offers_what_its_parts_take(qtbot, tmp_path):
    w = make_window(qtbot, tmp_path)
    assert isinstance(w, WindowServices) and isinstance(w, RecordingHost)
    assert not isinstance(w.center, Document)  # the live part: never closed, never detached
    assert w.recording is not None and w.recording.record_action is w.record_action  # the placeholder, made real


def test_a_document_is_a_widget():
    class Bare:  # the Protocol's members, but no widget
        log_panel = None

        async def close_document(self) -> None:
            pass

    assert isinstance(Bare(), Document)
    with pytest.raises(TypeError, match="a document is a widget"):
        document_widget(Bare())


def _documents(w, tmp_path) -> list:
    """One of each kind, built as their openers build them (nothing started)."""
    path = tmp_path / "seams.rirec"
    with RecordingWriter(path, created=T0) as wr:
        wr.write_event(StateChanged("c1", T0, State.OPEN))
        wr.write_event(event(seq=1, topic="orders.eu", t=T0 + 0.01))
    report = tmp_path / "run.json"
    report.write_text(json.dumps({"format": FORMAT, "version": 1, "entries": [{"kind": "EVENT", "name": "t"}]}))
    return [RecordingView(prepare(path), w.tasks, w.mock_panel),
            CheckView("local", "ws://127.0.0.1:9/", token_source(local_mock_profile()), w.tasks),
            LoadRunView(read(str(report)))]


def test_each_kind_of_document_is_shown_pointed_at_and_closed_by_the_window(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)
    docs = _documents(w, tmp_path)
    for doc in docs:
        assert isinstance(doc, Document) and document_widget(doc) is doc
        assert inspect.iscoroutinefunction(doc.close_document)
        assert doc.log_panel is None or isinstance(doc.log_panel, LogPanel)
        w.add_document(doc, type(doc).__name__)
    assert w.documents.count() == 4 and w.current_document() is docs[-1]
    assert w.current_log_panel() is w.log_panel  # a load run has no log: the live one's actions
    w.documents.setCurrentWidget(docs[0])
    assert w.current_log_panel() is docs[0].log_panel

    async def go():
        gone: list[str] = []
        for doc in docs:
            name = type(doc).__name__
            doc.destroyed.connect(lambda _=None, name=name: gone.append(name))
            w.close_document(w.documents.indexOf(doc))
        w.close_document(w.documents.indexOf(w.center))  # the live part stays
        await until(lambda: len(gone) == len(docs), 10, "every document closed and deleted")
        assert sorted(gone) == ["CheckView", "LoadRunView", "RecordingView"]
        assert w.documents.count() == 1 and w.documents.widget(0) is w.center
        await close_window(w)
    run(qloop, go())
