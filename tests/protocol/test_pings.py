import pytest

from inspector.protocol.pings import PingTracker


def test_rtt_on_matching_pong():
    p = PingTracker(timeout=10)
    body = p.next_payload()
    assert len(body) == 8
    p.sent(body, 100.0)
    assert p.pong(body, 100.25) == pytest.approx(0.25)
    assert p.outstanding == 0


def test_unmatched_pong_gives_no_rtt_but_resets_misses():
    p = PingTracker(timeout=1)
    p.sent(b"a", 0.0)
    assert p.expire(2.0) == 1
    assert p.consecutive_missed == 1
    assert p.pong(b"zzz", 3.0) is None
    assert p.consecutive_missed == 0


def test_consecutive_misses_count_up():
    p = PingTracker(timeout=1)
    for i in range(3):
        body = p.next_payload()
        p.sent(body, float(i * 2))
        assert p.expire(i * 2 + 1.5) == 1
    assert p.consecutive_missed == 3 and p.total_missed == 3


def test_payloads_unique_and_deadline():
    p = PingTracker(timeout=10)
    a, b = p.next_payload(), p.next_payload()
    assert a != b
    assert p.next_deadline() is None
    p.sent(a, 5.0)
    assert p.next_deadline() == 15.0
    assert p.expire(14.9) == 0


def test_outstanding_is_bounded():
    p = PingTracker(max_outstanding=4)
    for i in range(10):
        p.sent(bytes([i]), 0.0)
    assert p.outstanding == 4
