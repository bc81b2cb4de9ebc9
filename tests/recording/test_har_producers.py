"""HAR files as real tools write them: Playwright driving Chromium (epoch ms, and -1 in its
minimal mode), mitmproxy (epoch s), Chrome DevTools' layout (epoch s, other key order).

Each fixture in tests/fixtures was captured against the real mock (see its README and
har_capture.py) with a witness: what the page itself saw, with the page's wall clock.
The reader must give every message, byte for byte, at that wall time.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from har_capture import TOKEN, capture, chromium_path

from inspector.protocol.events import IN, OUT, FrameSeen, StateChanged
from inspector.protocol.frames import Event
from inspector.recording import open_recording
from inspector.recording.columns import KIND_EVENT, read_columns

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
WITNESSED = [  # (HAR, the witness of its session)
    ("playwright-chromium.har", "playwright-chromium.witness.json"),
    ("mitmproxy.har", "mitmproxy.witness.json"),
    ("chrome-devtools-shape.har", "playwright-chromium.witness.json"),
]
FIXTURE_SLACK = 0.05   # seconds between a page's Date.now() and the capturing tool's stamp, in these files
LIVE_SLACK = 1.0       # the same on a loaded machine: a wrong unit is off by ~55 years, not by a second


def witness(name: str) -> list[dict]:
    return json.loads((FIXTURES / name).read_text())


def check_against_witness(rec, seen: list[dict], slack: float) -> list[FrameSeen]:
    """Every message the page saw, per direction in order, same bytes, at the page's wall time."""
    frames = [e for e in rec.load() if isinstance(e, FrameSeen)]
    for kind, direction in (("send", OUT), ("receive", IN)):
        mine = [f for f in frames if f.direction == direction]
        theirs = [s for s in seen if s["type"] == kind]
        assert [(f.data, f.text) for f in mine] == [(base64.b64decode(s["data_b64"]), s["text"]) for s in theirs]
        if slack is not None:
            for f, s in zip(mine, theirs, strict=True):
                assert abs(f.t - s["wall_ms"] / 1000) < slack, (f, s["wall_ms"])
    return frames


def check_event_stamps(frames: list[FrameSeen], slack: float) -> None:
    """A received EVENT arrives after the mock stamped it (``ts``, epoch ms) and soon after."""
    events = [f for f in frames if f.direction == IN and isinstance(f.frame, Event)]
    assert len(events) >= 6
    for f in events:
        assert -0.01 <= f.t - f.frame.ts / 1000 < slack, (f.t, f.frame.ts)


@pytest.mark.parametrize("har, seen", WITNESSED)
def test_fixture_messages_at_the_page_wall_time(har, seen):
    rec = open_recording(FIXTURES / har)
    frames = check_against_witness(rec, witness(seen), FIXTURE_SLACK)
    check_event_stamps(frames, FIXTURE_SLACK)
    assert len(rec.conn_urls) == 1 and "token=***" in rec.url and TOKEN not in rec.url
    opened = [e for e in rec.load() if isinstance(e, StateChanged)]
    assert len(opened) == 1 and opened[0].t <= frames[0].t < opened[0].t + 1


def test_playwright_and_chrome_layouts_agree_to_the_microsecond():
    a = [(f.t, f.data) for f in open_recording(FIXTURES / "playwright-chromium.har") if isinstance(f, FrameSeen)]
    b = [(f.t, f.data) for f in open_recording(FIXTURES / "chrome-devtools-shape.har") if isinstance(f, FrameSeen)]
    assert [d for _, d in a] == [d for _, d in b]
    assert max(abs(x - y) for (x, _), (y, _) in zip(a, b, strict=True)) < 1e-6


def test_chrome_error_frame_is_reported_not_lost():
    rec = open_recording(FIXTURES / "chrome-devtools-shape.har")
    rec.load()
    assert rec.errors == ['entry 2 (_webSocketMessages[14]): WebSocket error reported: '
                          '"Could not decode a text frame as UTF-8."']
    assert rec.warning == "chrome-devtools-shape.har: 1 WebSocket error reported by the capturing tool"


def test_playwright_minimal_mode_keeps_every_message_in_capture_order():
    rec = open_recording(FIXTURES / "playwright-chromium-minimal.har")
    seen = witness("playwright-chromium-minimal.witness.json")
    frames = check_against_witness(rec, seen, slack=None)
    opened = next(e for e in rec.load() if isinstance(e, StateChanged))
    assert {f.t for f in frames} == {opened.t}  # no time in the file: all at the connection's start
    assert abs(opened.t - seen[0]["wall_ms"] / 1000) < 1.0
    assert [f.data for f in frames] == [f.data for f in sorted(frames, key=lambda f: f.t)]
    assert rec.warning == (f"playwright-chromium-minimal.har: {len(seen)} messages without a time, "
                           "kept in capture order")


@pytest.mark.parametrize("har, seen", WITNESSED)
def test_replay_prints_every_message_at_its_wall_time(har, seen):
    r = subprocess.run([sys.executable, "-m", "inspector", "replay", str(FIXTURES / har), "--json"],
                       capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    assert r.returncode == 0, r.stderr
    frames = [x for x in map(json.loads, r.stdout.splitlines()) if "dir" in x]
    page = witness(seen)
    assert len(frames) == len(page) == 14
    first, last = page[0]["wall_ms"] / 1000, page[-1]["wall_ms"] / 1000
    for x in frames:
        t = x["t"]  # wall time in Unix seconds (docs/json-output.md)
        assert first - FIXTURE_SLACK <= t <= last + FIXTURE_SLACK


@pytest.mark.parametrize("har, seen", WITNESSED)
def test_the_app_reader_puts_the_fixtures_at_the_page_wall_time(har, seen):
    cols = read_columns(FIXTURES / har)
    page = witness(seen)
    first, last = page[0]["wall_ms"] / 1000, page[-1]["wall_ms"] / 1000
    w = cols.w[cols.kind != KIND_EVENT]  # the frames; the upgrade's start was not witnessed
    assert len(w) == 14 and first - FIXTURE_SLACK <= w.min() <= w.max() <= last + FIXTURE_SLACK


@pytest.mark.skipif(chromium_path() is None, reason="needs Debian's chromium")
def test_recapture_with_chromium_and_read_it_back(tmp_path):
    out = tmp_path / "live.har"
    seen = capture(out)
    assert len(seen) == 14
    rec = open_recording(out)
    frames = check_against_witness(rec, seen, LIVE_SLACK)
    check_event_stamps(frames, LIVE_SLACK)
    assert rec.warning is None and "token=***" in rec.url
    doc = json.loads(out.read_text())
    ws = next(e for e in doc["log"]["entries"] if "_webSocketMessages" in e)
    assert min(m["time"] for m in ws["_webSocketMessages"]) > 1e12  # Playwright still writes milliseconds
