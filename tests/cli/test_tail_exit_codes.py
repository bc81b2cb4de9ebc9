"""tail's exit code comes from the stop reason and the fields beside it, never from the message."""

import pytest

from inspector.cli.tail_cmd import _exit_code
from inspector.protocol.events import State, StateChanged, StopReason

REWORDED = "any words at all: no token, closed normally, ..."


@pytest.mark.parametrize(("reason", "fields", "code"), [
    (StopReason.REQUESTED, {}, 0),
    (StopReason.SERVER_DONE, {"code": 1000}, 0),
    (StopReason.NO_TOKEN, {}, 5),
    (StopReason.TOKEN_EXPIRED, {"code": 4401}, 5),
    (StopReason.HTTP_REFUSED, {"http_status": 401, "http_code": "invalid_token"}, 3),
    (StopReason.HTTP_REFUSED, {"http_status": 403}, 1),
    (StopReason.SERVER_STOPPED, {"code": 1008}, 4),
    (StopReason.CONNECT_FAILED, {}, 1),
    (StopReason.RECONNECT_OFF, {"code": 1006}, 1),
    (StopReason.RECONNECT_OFF, {"code": 4401}, 1),  # the token was refreshed: not a token problem
    (StopReason.INTERNAL_ERROR, {}, 1),
    (None, {"code": 1000}, 1),  # no reason (a recording older than reasons): not a clean end
])
def test_exit_code_by_reason(reason, fields, code):
    for message in ("", REWORDED, "no token: x"):
        assert _exit_code(StateChanged("c1", 1.0, State.STOPPED, message=message, stop=reason, **fields)) == code


def test_not_stopped_is_a_clean_end():
    assert _exit_code(None) == 0
    assert _exit_code(StateChanged("c1", 1.0, State.OPEN)) == 0
