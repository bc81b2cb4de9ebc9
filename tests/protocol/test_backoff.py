import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspector.protocol.backoff import Backoff, delay_for


def test_sequence_without_jitter_doubles_then_caps():
    b = Backoff(rng=lambda: 0.5)  # U = 1.0 exactly
    assert [b.next_delay() for _ in range(9)] == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]


def test_jitter_bounds_at_extremes():
    low = Backoff(rng=lambda: 0.0)
    high = Backoff(rng=lambda: 0.999999999)
    assert low.next_delay() == pytest.approx(0.375)
    assert high.next_delay() == pytest.approx(0.625, rel=1e-6)


@given(st.integers(0, 200), st.floats(0, 1, exclude_max=True))
def test_delay_within_bounds(n, r):
    b = Backoff(rng=lambda: r)
    b.attempt = n
    d = b.next_delay()
    nominal = 0.5 * 2.0 ** min(n, 64)
    assert d <= 30.0
    assert d >= min(30.0, nominal * 0.75) - 1e-9
    assert d <= nominal * 1.25 + 1e-9


def test_cap_applies_after_jitter():
    # attempt 6: 0.5*64 = 32 s; jitter 0.75 gives 24 s (below the cap), 1.25 gives 40 -> 30
    assert delay_for(6, 0.75) == 24.0
    assert delay_for(6, 1.25) == 30.0


def test_reset_only_after_staying_open_long_enough():
    b = Backoff(rng=lambda: 0.5, reset_after=10)
    for _ in range(3):
        b.next_delay()
    b.opened(100.0)
    b.closed(105.0)  # only 5 s open: keeps growing
    assert b.next_delay() == 4.0
    b.opened(200.0)
    b.closed(210.0)
    assert b.next_delay() == 0.5


def test_accept_then_close_at_once_keeps_growing():
    b = Backoff(rng=lambda: 0.5)
    delays = []
    for i in range(6):
        delays.append(b.next_delay())
        b.opened(float(i))
        b.closed(float(i))
    assert delays == sorted(delays) and delays[-1] == 16
