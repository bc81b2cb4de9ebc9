"""docs/concurrency.md names every module that starts a thread, a process or an event loop,
and every thread name the package gives, so a new one cannot go unlisted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "inspector"
PAGE = (ROOT / "docs" / "concurrency.md").read_text(encoding="utf-8")
STARTS = re.compile(r"threading\.Thread\(|subprocess\.(?:Popen|run)\b|create_subprocess_(?:exec|shell)\("
                    r"|new_event_loop\(|QEventLoop\(|run_in_executor\(|asyncio\.run\(|QThread|ProcessPool"
                    r"|multiprocessing|locust_main\(")
THREAD_NAME = re.compile(r'name(?:: str)?\s*=\s*f?"([a-z][a-z-]*(?:\{[^}]*\})?)"')


def starters() -> list[str]:
    return sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                  if STARTS.search(p.read_text(encoding="utf-8")))


def thread_names() -> list[str]:
    names = set()
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "threading.Thread(" in text:
            names.update(THREAD_NAME.findall(text))
    return sorted(names)


def test_the_scans_find_what_they_look_for():
    assert {"mock/thread.py", "qt/app.py", "recording/process_writer.py", "load/__main__.py"} <= set(starters())
    assert {"mock-server", "recording-feeder", "payload-decoder", "recording-{tag[0]}"} <= set(thread_names())


@pytest.mark.parametrize("module", starters())
def test_a_module_that_starts_a_thread_process_or_loop_is_on_the_page(module):
    assert f"`{module}`" in PAGE


@pytest.mark.parametrize("name", thread_names())
def test_a_thread_name_is_on_the_page(name):
    pattern = re.escape(name).replace(r"\{tag\[0\]\}", "[a-z]+")
    assert re.search(f"`{pattern}`", PAGE), name
