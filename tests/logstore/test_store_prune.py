"""Pruning under a disk budget: the oldest closed sessions go first; open and kept ones stay."""

from __future__ import annotations

from pathlib import Path

from store_kit import CONNS, TOPICS, batch

from inspector.logstore.session_store.layout import SessionInfo, create_session, list_sessions, update_meta
from inspector.logstore.session_store.prune import plan_prune, prune
from inspector.logstore.session_store.writer import SessionWriter


def _s(name: str, created: float, size: int, *, kept: bool = False, is_open: bool = False) -> SessionInfo:
    return SessionInfo(Path(name), created, size, kept, is_open)


def test_nothing_goes_under_the_budget():
    sessions = [_s("a", 1, 100), _s("b", 2, 100)]
    plan = plan_prune(sessions, 200)
    assert plan.remove == () and plan.total_after == 200 and not plan.over_budget


def test_oldest_closed_go_first_until_it_fits():
    a, b, c, d = _s("a", 1, 100), _s("b", 2, 100), _s("c", 3, 100), _s("d", 4, 100)
    plan = plan_prune([d, b, c, a], 250)  # any order in, oldest first out
    assert plan.remove == (a, b) and plan.total_before == 400 and plan.total_after == 200


def test_open_and_kept_sessions_are_never_removed():
    old_open, old_kept = _s("o", 1, 500, is_open=True), _s("k", 2, 500, kept=True)
    closed = _s("c", 3, 100)
    plan = plan_prune([old_open, old_kept, closed], 100)
    assert plan.remove == (closed,)
    assert plan.total_after == 1000 and plan.over_budget  # for the app to say so


def test_a_zero_budget_removes_every_closed_unkept_session():
    sessions = [_s(str(i), i, 10) for i in range(5)] + [_s("k", 9, 10, kept=True)]
    plan = plan_prune(sessions, 0)
    assert [s.path.name for s in plan.remove] == ["0", "1", "2", "3", "4"] and plan.total_after == 10


def test_prune_on_disk(tmp_path):
    folders = []
    for i in range(4):
        folder = create_session(tmp_path, created=1000.0 + i)
        with SessionWriter(folder) as w:
            w.append(batch(i), CONNS, TOPICS)
        folders.append(folder)
    update_meta(folders[0], kept=True)
    live = create_session(tmp_path, created=900.0)  # the oldest, but open
    w = SessionWriter(live)
    w.append(batch(9), CONNS, TOPICS)
    w.flush()
    listing = list_sessions(tmp_path)
    assert [s.path for s in listing] == [live, *folders]
    assert [(s.kept, s.is_open) for s in listing] == [(False, True), (True, False)] + [(False, False)] * 3
    size = listing[1].size
    plan = prune(tmp_path, budget=3 * size)
    assert [s.path for s in plan.remove] == [folders[1], folders[2]]
    assert [s.path for s in list_sessions(tmp_path)] == [live, folders[0], folders[3]]
    w.close()
    assert not list_sessions(tmp_path)[0].is_open
