"""describe_state: the one line tail, replay and the desktop app show for a state change."""

import pytest

from inspector.protocol.closecodes import describe
from inspector.protocol.describe import describe_state
from inspector.protocol.events import State, StateChanged

T = 1000.0


def test_describe_each_state():
    assert describe_state(StateChanged("c", T, State.OPEN)) == "open"
    assert describe_state(StateChanged("c", T, State.IDLE)) == "not connected"
    assert "connecting" in describe_state(StateChanged("c", T, State.CONNECTING))
    closed = describe_state(StateChanged("c", T, State.CLOSED, code=1001, reason="server restart",
                                         meaning="Going away (server restart)"))
    assert closed == "closed 1001 — Going away (server restart) — reason: server restart"
    waiting = StateChanged("c", T, State.WAITING, attempt=3, delay=4.0)
    assert describe_state(waiting, now=T + 1.5) == "waiting — reconnect attempt 3 in 2.5 s"
    stopped = describe_state(StateChanged("c", T, State.STOPPED, http_status=401, http_code="invalid_token",
                                          message="server refused the token"))
    assert stopped == "stopped — server refused the token — HTTP 401 invalid_token"


@pytest.mark.parametrize("attempt, url, text", [
    (0, "", "connecting"),
    (0, "ws://h/api/v2/realtime", "connecting to ws://h/api/v2/realtime"),
    (2, "ws://h/x", "connecting to ws://h/x (reconnect attempt 2)"),
])
def test_connecting_names_the_url_and_the_attempt(attempt, url, text):
    assert describe_state(StateChanged("c", T, State.CONNECTING, attempt=attempt), url=url) == text


def test_waiting_without_a_clock_shows_the_whole_delay_and_never_counts_below_zero():
    waiting = StateChanged("c", T, State.WAITING, attempt=1, delay=0.53)
    assert describe_state(waiting) == "waiting — reconnect attempt 1 in 0.5 s"
    assert describe_state(waiting, now=T + 60) == "waiting — reconnect attempt 1 in 0.0 s"


def test_closed_without_a_code_and_messages_not_repeated():
    assert describe_state(StateChanged("c", T, State.CLOSED, message="connect failed: refused")) == \
        "closed — connect failed: refused"
    same = StateChanged("c", T, State.CLOSED, code=1008, reason="pong timeout", message="pong timeout")
    assert describe_state(same).count("pong timeout") == 1


def test_stopped_names_the_meaning_of_its_code_when_the_event_has_none():
    text = describe_state(StateChanged("c", T, State.STOPPED, code=4401, reason="token expired",
                                       message="token expired; enter a fresh token"))
    # the message gives the advice; the code's meaning does not give it again
    assert text == "stopped — token expired; enter a fresh token — close 4401: Auth expired mid-session"
    assert text.count("fresh token") == 1
    ended = StateChanged("c", T, State.STOPPED, code=1006, message="connection ended; automatic reconnect is off")
    assert describe_state(ended).endswith("— close 1006: " + describe(1006).meaning)


def test_a_stop_whose_message_names_the_code_does_not_name_it_again():
    idle = StateChanged("c", T, State.STOPPED, code=1008, reason="idle without subscription",
                        message="closed by the server with 1008 (idle without subscription); not reconnecting")
    assert describe_state(idle) == \
        "stopped — closed by the server with 1008 (idle without subscription); not reconnecting"


def test_open_carries_its_message():
    assert describe_state(StateChanged("c", T, State.OPEN, message="ws://h/x")) == "open — ws://h/x"


def test_stopped_on_request_says_stopped_once():
    text = describe_state(StateChanged("c", T, State.STOPPED, message="stopped on request"))
    assert text == "stopped on request"
    assert describe_state(StateChanged("c", T, State.STOPPED, message="stopped on request", code=1000)) \
        == "stopped on request — close 1000: " + describe(1000).meaning
