"""The rule model and matching, pure: a rule's counters, seeds and actions on frames."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspector.proxy.rule_text import RuleError, load_rules, parse_rule
from inspector.proxy.rules import PairRules, RuleBook, fragmented, merge_patch
from inspector.proxy.wire import RawFrame


def event(topic: str = "orders.eu", total: int = 1) -> RawFrame:
    body = {"topic": topic, "type": "message", "ts": 1, "data": {"total": total}}
    return RawFrame(0x2, b"\x10" + json.dumps(body).encode())


def fired(rules: PairRules, frames: list[RawFrame], c2s: bool = False, elapsed: float = 0.0) -> list[bool]:
    return [rules.decide(c2s, f, elapsed) is not None for f in frames]


def test_every_counts_only_matching_frames_of_its_direction() -> None:
    rules = PairRules([parse_rule("dir=s2c kind=EVENT topic=orders.* every=2 -> drop")], 1)
    frames = [event(), RawFrame(0x2, b"\x20"), event("ticker"), event(), event(), event()]
    assert fired(rules, frames) == [False, False, False, True, False, True]
    assert fired(rules, [event()], c2s=True) == [False]


def test_nth_and_times() -> None:
    nth = PairRules([parse_rule("nth=3 -> drop")], 1)
    assert fired(nth, [event()] * 5) == [False, False, True, False, False]
    times = PairRules([parse_rule("kind=EVENT times=2 -> drop")], 1)
    assert fired(times, [event()] * 4) == [True, True, False, False]


def test_the_filter_is_the_subscription_language_over_the_event() -> None:
    rules = PairRules([parse_rule("filter='data.total > `100`' -> drop")], 1)
    assert fired(rules, [event(total=5), event(total=500)]) == [False, True]


def test_time_since_open_and_connection_index() -> None:
    rule = parse_rule("after=100 before=200 conn=2 -> drop")
    assert fired(PairRules([rule], 2), [event()] * 3, elapsed=150) == [True] * 3
    assert fired(PairRules([rule], 2), [event()], elapsed=99) == [False]
    assert fired(PairRules([rule], 2), [event()], elapsed=200) == [False]
    assert fired(PairRules([rule], 1), [event()], elapsed=150) == [False]


@given(seed=st.integers(0, 2**32), conn=st.integers(1, 50))
def test_a_seeded_probability_repeats_exactly(seed: int, conn: int) -> None:
    rule = parse_rule(f"p=0.5 seed={seed} -> drop")
    runs = [fired(PairRules([rule], conn), [event()] * 40) for _ in range(2)]
    assert runs[0] == runs[1]
    assert 0 < sum(runs[0]) < 40


def test_replace_with_a_merge_patch_and_with_hex() -> None:
    patch = PairRules([parse_rule("""-> replace patch='{"data":{"total":0,"x":null}}'""")], 1)
    decision = patch.decide(False, event(total=9), 0)
    assert decision is not None
    (to, frame), = decision.out
    assert to == "peer" and json.loads(frame.payload[1:])["data"] == {"total": 0}
    raw = PairRules([parse_rule("-> replace hex=2161")], 1).decide(False, event(), 0)
    assert raw is not None and raw.out[0][1].payload == b"\x21a"


def test_merge_patch_follows_rfc_7386() -> None:
    assert merge_patch({"a": "b", "c": {"d": "e", "f": "g"}}, {"a": "z", "c": {"f": None}}) == {
        "a": "z", "c": {"d": "e"}}
    assert merge_patch({"a": [1]}, {"a": [2]}) == {"a": [2]}
    assert merge_patch([1], {"a": 1}) == {"a": 1}


@given(payload=st.binary(max_size=500), size=st.integers(1, 64), opcode=st.sampled_from([0x1, 0x2]))
def test_fragmenting_keeps_the_message(payload: bytes, size: int, opcode: int) -> None:
    parts = fragmented(RawFrame(opcode, payload, masked=True), size)
    assert b"".join(p.payload for p in parts) == payload
    assert all(len(p.payload) <= size for p in parts)
    assert len(parts) == max(1, -(-len(payload) // size))  # split, not passed whole
    assert parts[0].opcode == opcode and all(p.opcode == 0 for p in parts[1:])
    assert [p.fin for p in parts] == [False] * (len(parts) - 1) + [True]
    assert all(p.masked for p in parts)


def test_inject_before_and_after_and_back_to_the_sender() -> None:
    before = PairRules([parse_rule("-> inject hex=2078 to=sender")], 1).decide(True, event(), 0)
    assert before is not None
    assert [(to, f.payload, f.masked) for to, f in before.out] == [("sender", b"\x20x", False),
                                                                   ("peer", event().payload, False)]
    after = PairRules([parse_rule("-> inject frame_kind=PING body='{}' when=after")], 1).decide(True, event(), 0)
    assert after is not None and after.out[1] == ("peer", RawFrame(0x2, b"\x20{}", masked=True))


def test_blackhole_swallows_the_rest_and_may_still_answer_pings() -> None:
    rules = PairRules([parse_rule("dir=s2c kind=EVENT -> blackhole pings=true")], 1)
    assert rules.decide(False, event(), 0) is not None
    swallowed = rules.decide(False, RawFrame(0x2, b"\x20ab"), 0)
    assert swallowed is not None and swallowed.out == []
    answered = rules.decide(True, RawFrame(0x2, b"\x20ab", masked=True), 0)
    assert answered is not None
    assert answered.out == [("sender", RawFrame(0x2, b"\x21ab")), ("peer", RawFrame(0x2, b"\x20ab", masked=True))]
    ws_ping = rules.decide(True, RawFrame(0x9, b"k", masked=True), 0)
    assert ws_ping is not None and ws_ping.out[0] == ("sender", RawFrame(0xA, b"k"))


@pytest.mark.parametrize(("mode", "check"), [
    ("utf8", lambda f: f.opcode == 1 and f.payload.endswith(b"\xc3\x28")),
    ("json", lambda f: f.payload == b"\x10{not json"),
    ("oversize", lambda f: len(f.payload) == 64 * 1024 + 1),
    ("opcode", lambda f: f.opcode == 3),
    ("unmasked", lambda f: not f.masked),
])
def test_corruptions(mode: str, check) -> None:
    decision = PairRules([parse_rule(f"-> corrupt mode={mode}")], 1).decide(True, event().__class__(
        0x2, event().payload, masked=True), 0)
    assert decision is not None and check(decision.out[0][1])


@pytest.mark.parametrize(("text", "line"), [
    ("kind=EVENT frob=1 -> drop", "--rule, column 12: unknown key 'frob'"),
    ("dir=up -> drop", "--rule, column 1: dir must be one of c2s, s2c, not 'up'"),
    ("kind=EVENT -> explode", "--rule, column 15: action must be one of pass, drop, delay, replace, inject, close, "
                              "blackhole, fragment, corrupt, hold, not 'explode'"),
    ("filter='data.x >' -> drop", "--rule, column 1: filter: incomplete expression at column 8"),
    ("kind=EVENT drop", "--rule, column 16: a rule is 'MATCH -> ACTION' (e.g. 'kind=PONG -> drop')"),
    ("p=2 -> drop", "--rule, column 1: p must be between 0 and 1"),
])
def test_a_bad_rule_is_one_line_with_its_column(text: str, line: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(text)
    assert str(caught.value) == line


def test_a_bad_rules_file_names_its_line_and_column(tmp_path) -> None:
    toml = tmp_path / "rules.toml"
    toml.write_text('[[rule]]\ndir = "s2c"\naction = "drop"\n\n'
                    '[[rule]]\nkind = "EVENT"\n  every = 0\naction = "drop"\n')
    with pytest.raises(RuleError, match=r"rules.toml, line 7, column 3: rule 2: every must be at least 1$"):
        load_rules(str(toml))
    toml.write_text('[[rule]]\ndir = "s2c\n')
    with pytest.raises(RuleError, match=r"rules.toml, line 2, column \d+: "):
        load_rules(str(toml))
    js = tmp_path / "rules.json"
    js.write_text('[\n  {"action": "drop"},\n  {"kind": "EVENT", "action": "zap"}\n]\n')
    with pytest.raises(RuleError, match=r"rules.json, line 3, column 21: rule 2: action must be one of"):
        load_rules(str(js))
    js.write_text('[\n  {"action": "drop",}\n]')
    with pytest.raises(RuleError, match=r"rules.json, line 2, column 21: "):
        load_rules(str(js))


def test_a_good_rules_file_loads_in_order(tmp_path) -> None:
    toml = tmp_path / "rules.toml"
    toml.write_text('[[rule]]\ndir = "s2c"\nkind = "EVENT"\nfilter = "data.total > `100`"\naction = "replace"\n'
                    'patch = {data = {total = 0}}\n\n[[rule]]\naction = "delay"\nms = 20\njitter = 5\n')
    first, second = load_rules(str(toml))
    assert first.action.patch == {"data": {"total": 0}} and first.match.filter is not None
    assert (second.action.name, second.action.ms, second.action.jitter_ms) == ("delay", 20.0, 5.0)


def test_topic_rules_still_fire_in_order_when_the_first_waits_for_its_nth() -> None:
    rules = PairRules([parse_rule("topic=orders.* nth=2 -> drop"), parse_rule("topic=*.eu -> pass"),
                       parse_rule("topic=ticker -> drop")], 1)
    decisions = [rules.decide(False, event(), 0) for _ in range(3)]
    assert [d.rule.action.name if d and d.rule else None for d in decisions] == ["pass", "drop", "pass"]
    assert rules.decide(False, event("nothing"), 0) is None


def test_rules_added_or_removed_at_run_time_decide_from_the_next_frame() -> None:
    book = RuleBook([parse_rule("topic=orders.* -> drop")])
    first = book.rules[0]
    rules = PairRules(book, 1)
    assert fired(rules, [event("orders.eu"), event("ticker"), event("orders.eu")]) == [True, False, True]
    added = book.add(parse_rule("topic=tick* -> drop"))
    assert fired(rules, [event("ticker"), RawFrame(0x2, b"\x20"), event("orders.us")]) == [True, False, True]
    book.remove(first.id)
    assert fired(rules, [event("orders.eu"), event("ticker")]) == [False, True]
    book.remove(added.id)
    assert fired(rules, [event("orders.eu"), event("ticker")]) == [False, False]
