"""Session rows decide by the stop reason, never by the message text, and keep it through a row."""

import json

import pytest

from inspector.logstore.session_rows import is_trouble, row_bytes, row_event
from inspector.protocol.events import State, StateChanged, StopReason


@pytest.mark.parametrize("reason", list(StopReason))
def test_only_a_stop_on_request_is_no_trouble_whatever_its_text(reason):
    ev = StateChanged("c1", 1.0, State.STOPPED, message="stopped on request", stop=reason)
    assert is_trouble(ev) is (reason is not StopReason.REQUESTED)
    reworded = StateChanged("c1", 1.0, State.STOPPED, message="you asked for it", stop=StopReason.REQUESTED)
    assert not is_trouble(reworded)


@pytest.mark.parametrize("reason", list(StopReason))
def test_a_row_keeps_the_stop_reason(reason):
    ev = StateChanged("c1", 1.0, State.STOPPED, code=1008, message="x", stop=reason)
    back = row_event(row_bytes(ev), 1.0, "c1")
    assert isinstance(back, StateChanged) and back.stop is reason and back == ev


def test_a_stop_recorded_before_reasons_existed_reads_as_unknown():
    fields = json.loads(row_bytes(StateChanged("c1", 1.0, State.STOPPED, message="stopped on request")))
    assert "stop" not in fields
    back = row_event(json.dumps(fields).encode(), 1.0, "c1")
    assert isinstance(back, StateChanged) and back.stop is None and back.message == "stopped on request"
    future = row_event(json.dumps({**fields, "stop": "a_reason_from_later"}).encode(), 1.0, "c1")
    assert isinstance(future, StateChanged) and future.stop is None
