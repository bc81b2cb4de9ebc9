"""tail's text lines for state changes: protocol.describe's text, ASCII when stdout cannot show more."""

from inspector.cli.tail_format import TextFormatter
from inspector.protocol.describe import describe_state
from inspector.protocol.events import State, StateChanged

URL = "ws://127.0.0.1:9/api/v2/realtime?token=s3cret"
CLOSED = StateChanged("c1", 0.0, State.CLOSED, code=4401, reason="token expired",
                      meaning="Auth expired mid-session — reconnect with a fresh token")


def test_state_lines_are_the_shared_description_with_the_redacted_url():
    fmt = TextFormatter(URL)
    connecting = StateChanged("c1", 0.0, State.CONNECTING, attempt=2)
    line = fmt(connecting)
    assert line.endswith(" • " + describe_state(connecting, url=fmt.url))
    assert "s3cret" not in line and "(reconnect attempt 2)" in line
    assert fmt(CLOSED).endswith(" • " + describe_state(CLOSED))


def test_ascii_output_has_no_dashes_it_cannot_print():
    line = TextFormatter(URL, unicode=False)(CLOSED)
    assert line.isascii(), line
    assert line.endswith(" * closed 4401 - Auth expired mid-session - reconnect with a fresh token"
                         " - reason: token expired")


def test_subscription_and_pong_lines_are_the_apps_wording():
    from inspector.protocol.describe import describe_pong_missed, describe_subscription
    from inspector.protocol.events import PongMissed, SubscriptionChanged, SubState

    fmt = TextFormatter(URL)
    failed = SubscriptionChanged("c1", 0.0, "orders.eu", SubState.FAILED, "total > 1",
                                 error_code="invalid_filter", message="unknown field")
    missed = PongMissed("c1", 0.0, 1)
    assert fmt(failed).endswith(" • " + describe_subscription(failed))
    assert fmt(missed).endswith(" • " + describe_pong_missed(missed))
    ascii_line = TextFormatter(URL, unicode=False)(failed)
    assert ascii_line.isascii() and ascii_line.endswith(" - invalid_filter: unknown field"), ascii_line
