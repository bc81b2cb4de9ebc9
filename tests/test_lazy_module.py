"""inspector.lazy_module: bound now, run at the first read, and told apart while it waits."""

from __future__ import annotations

import sys

from inspector.lazy_module import lazy_module, load_now, pending


def _probe(tmp_path, monkeypatch, name):
    """A module that leaves a file behind when it runs."""
    ran = tmp_path / f"{name}.ran"
    (tmp_path / f"{name}.py").write_text(f"open({str(ran)!r}, 'w').close()\nVALUE = 42\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    return ran


def test_a_lazy_module_runs_at_its_first_read_and_no_sooner(tmp_path, monkeypatch):
    ran = _probe(tmp_path, monkeypatch, "lazy_probe_a")
    module = lazy_module("lazy_probe_a")
    assert "lazy_probe_a" in pending() and not ran.exists()
    assert module.VALUE == 42 and ran.exists()
    assert "lazy_probe_a" not in pending() and sys.modules["lazy_probe_a"] is module
    monkeypatch.delitem(sys.modules, "lazy_probe_a")


def test_load_now_runs_every_pending_one(tmp_path, monkeypatch):
    ran = _probe(tmp_path, monkeypatch, "lazy_probe_b")
    lazy_module("lazy_probe_b")
    load_now()
    assert ran.exists() and "lazy_probe_b" not in pending()
    monkeypatch.delitem(sys.modules, "lazy_probe_b")


def test_a_loaded_module_is_given_as_it_is():
    import json
    assert lazy_module("json") is json
    assert "json" not in pending()
