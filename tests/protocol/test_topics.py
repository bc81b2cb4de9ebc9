import pytest

from inspector.protocol.topics import is_valid_topic, topic_error


@pytest.mark.parametrize("topic", ["a", "orders.eu", "x_y-z.0", "a" * 255])
def test_valid(topic):
    assert is_valid_topic(topic)
    assert topic_error(topic) is None


@pytest.mark.parametrize(
    "topic, words",
    [("", "empty"), ("a" * 256, "256"), ("Orders", "'O' at position 0"), ("a b", "' ' at position 1"),
     ("é", "position 0"), (5, "string"), ("a\n", "position 1")],
)
def test_invalid(topic, words):
    assert not is_valid_topic(topic)
    assert words in topic_error(topic)
