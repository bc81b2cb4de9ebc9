import pytest

from inspector.protocol.closecodes import Policy, describe


@pytest.mark.parametrize(
    "code, policy",
    [(1000, Policy.DONE), (1001, Policy.RETRY), (1006, Policy.RETRY), (1008, Policy.STOP), (1009, Policy.RETRY),
     (1011, Policy.RETRY), (4401, Policy.REFRESH_TOKEN), (None, Policy.RETRY), (4000, Policy.RETRY),
     (1002, Policy.RETRY)],
)
def test_policy(code, policy):
    assert describe(code).policy is policy


def test_meanings_from_the_reference():
    assert describe(1001).meaning.startswith("Going away")
    assert "quota" in describe(1008).meaning
    assert "fresh token" in describe(4401).meaning
