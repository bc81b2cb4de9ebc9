import pytest

from inspector.protocol.filters import FilterError, compile_filter, filter_error, is_truthy

BODY = {"topic": "orders.eu", "type": "message", "seq": 3, "ts": 1, "data": {"total": 250, "region": "eu", "tags": []}}


def test_empty_and_none_mean_every_event():
    assert compile_filter(None) is None
    assert compile_filter("") is None


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("data.total > `100`", True),
        ("data.total > `1000`", False),
        ("data.total > `100` && data.region == 'eu'", True),
        ("data.region == 'us'", False),
        ("data.tags", False),           # empty list is falsy
        ("data.missing", False),        # null is falsy
        ("data", True),
        ("seq == `3`", True),
        ("type == 'message'", True),
        ("abs(data.region) > `1`", False),  # runtime type error: no match, no exception
    ],
)
def test_matches(expr, expected):
    assert compile_filter(expr).matches(BODY) is expected


@pytest.mark.parametrize("expr, position", [("data.(", 5), ("a ==", 4), ("`bad", 0), ("data.total >", 12)])
def test_errors_name_the_position(expr, position):
    with pytest.raises(FilterError) as info:
        compile_filter(expr)
    assert info.value.position == position
    assert f"column {position}" in str(info.value)
    assert filter_error(expr) is not None


def test_valid_filter_has_no_error():
    assert filter_error("data.total > `1`") is None


@pytest.mark.parametrize("value, truthy", [(False, False), (None, False), ("", False), ([], False), ({}, False),
                                           (0, True), ("x", True), ([0], True), (True, True)])
def test_jmespath_truthiness(value, truthy):
    assert is_truthy(value) is truthy
