"""An opened session folder: its replay timeline worked out a block at a time is the one a
recording's rows give (the times' running maximum from the first), and its connection events
are found where they were written. A real folder written by the real writer, in small blocks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from framegen import T0, event

from inspector.logstore.frame_store import FrameStore
from inspector.logstore.live_session import LiveSession
from inspector.logstore.store_document import StoreDocument
from inspector.protocol.events import PongMissed
from inspector.recording.replay import Timeline


@pytest.fixture
def doc(tmp_path):
    ring = FrameStore()
    live = LiveSession(tmp_path / "data", on_error=pytest.fail, writer_options={"block_rows": 37}, threaded=False)
    live.attach(ring)
    rng = np.random.default_rng(3)
    times = T0 + np.cumsum(rng.uniform(-0.004, 0.01, 500))  # now and then a time earlier than the one before
    for i, t in enumerate(times.tolist()):
        if i % 45 == 0:
            ring.add_session(PongMissed("c1", t, 1))
        else:
            ring.extend([event(seq=i, t=t)])
    live.close()
    d = StoreDocument(live.folder)
    yield d, ring
    d.close()


def test_the_timeline_is_the_running_maximum_of_the_times(doc):
    d, ring = doc
    t = np.array([ring.t(i) for i in range(len(ring))])
    want = np.maximum.accumulate(t - t[0])
    assert len(d.reader.blocks) > 10 and len(d.offsets) == len(want)
    assert [d.offsets[i] for i in range(len(want))] == pytest.approx(want.tolist(), abs=1e-9)
    line = Timeline(d.offsets)
    for offset in [0.0, *want[::17].tolist(), want[-1] + 1, (want[3] + want[4]) / 2]:
        assert line.index_at(offset) == int(np.searchsorted(want, offset, side="left")), offset
    assert line.duration == pytest.approx(want[-1])


def test_connection_events_and_frame_counts(doc):
    d, ring = doc
    assert d.session_rows.tolist() == list(range(0, 500, 45))
    assert d.frame_count == ring.frame_count == 500 - 12
    assert d.frames_until(46) == 44 and d.events_between(40, 100) == [ring.session_event(45), ring.session_event(90)]


OPEN_IN_A_FRESH_PROCESS = """
import sys
from inspector.logstore.store_document import open_document
doc = open_document(sys.argv[1])
print(len(doc), *sorted(m for m in sys.modules if m.startswith(("inspector.recording.", "http", "email"))))
"""


def test_a_session_folder_opens_without_the_other_formats_readers(doc):
    """The HAR and pcapng readers (http, email: tens of ms of imports on the open's thread, holding
    the GIL while the window paints) load only for a file of theirs."""
    d, _ring = doc
    out = subprocess.run([sys.executable, "-c", OPEN_IN_A_FRESH_PROCESS, str(d.path)], capture_output=True,
                         text=True, check=True, env=dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2])))
    count, *modules = out.stdout.split()
    assert int(count) == len(d)
    assert not [m for m in modules if m.startswith(("inspector.recording.har", "inspector.recording.pcapng",
                                                    "inspector.recording.reader", "http", "email"))], modules
