"""limits.py holds the spec's numbers; the protocol document states the same ones."""

import re
from importlib import resources

import pytest

from inspector.protocol import backoff, limits

DOC = resources.files("inspector").joinpath("docs").joinpath("protocol.md").read_text(encoding="utf-8")


def _num(x: float) -> str:
    return f"{x:g}"


@pytest.mark.parametrize("phrase", [
    f"| PING | either | 0–{limits.MAX_PING_PAYLOAD} opaque bytes |",
    f"(0 … {limits.MAX_REQUEST_ID})",
    f"1–{limits.MAX_TOPIC_LENGTH} characters",
    f"the {limits.MAX_SUBSCRIPTIONS}-subscription limit",
    f"After {_num(limits.SERVER_PING_INTERVAL)} s in which it heard nothing",
    f"{limits.SERVER_PING_BODY_SIZE}-byte body, and again every {_num(limits.SERVER_PING_INTERVAL)} s",
    f"within {_num(limits.PONG_TIMEOUT)} s counts as missed",
    f"{limits.MAX_CONNECTIONS_PER_TOKEN + 1}th concurrent connection",
    f"no subscription for {_num(limits.IDLE_TIMEOUT)} s",
    f"larger than {limits.MAX_MESSAGE_SIZE // 1024} KiB",
    f"min({_num(backoff.CAP)} s, {_num(backoff.INITIAL)} s × 2^n × "
    f"U({_num(1 - backoff.JITTER)}, {_num(1 + backoff.JITTER)}))",
    f"stayed open for {_num(backoff.RESET_AFTER)} s",
])
def test_the_protocol_document_states_the_named_limits(phrase):
    assert phrase in " ".join(DOC.split()), phrase


def test_missed_pongs_in_words():
    words = {3: "third"}
    assert re.search(rf"The {words[limits.MAX_MISSED_PONGS]} consecutive miss closes", DOC)
