"""Rules: a match and an action, applied to each frame of one connection pair. Pure: the
caller gives the frame, the time since the pair opened and the pair's index, and gets a
Decision (what to send to whom, after what delay, and whether to close or blackhole).

Rules are tried in order; the first whose match fires decides the frame. ``nth``,
``every`` and ``times`` count per pair (handshake rules: connections), and a rule's random draws come from its own
generator seeded with (seed, pair index), so a run with a seed repeats exactly.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

from inspector.protocol.filters import CompiledFilter
from inspector.protocol.frames import DecodeError, Event, decode_received, encode_body
from inspector.protocol.heads import read_head
from inspector.protocol.kinds import Kind, kind_name
from inspector.protocol.limits import MAX_MESSAGE_SIZE
from inspector.proxy.wire import RawFrame, close_payload

WS_KINDS = {0x8: "WS_CLOSE", 0x9: "WS_PING", 0xA: "WS_PONG", 0x0: "CONTINUATION"}
ACTIONS = ("pass", "drop", "delay", "replace", "inject", "close", "blackhole", "fragment", "corrupt", "hold")
# never held unless a hold rule names their kind: holding them would skew latency
_LIVENESS_KINDS = frozenset({"PING", "PONG", "WS_PING", "WS_PONG"})
HANDSHAKE_ACTIONS = ("refuse", "status", "accept_close")
_EVENT = bytes((Kind.EVENT,))
_KIND_NAMES = {int(k): k.name for k in Kind}  # an enum's .name costs a call per frame
CORRUPTIONS = ("utf8", "json", "oversize", "opcode", "unmasked")


@dataclass(frozen=True)
class Match:
    direction: str | None = None  # "c2s" or "s2c"
    kinds: frozenset[str] = frozenset()  # kind names (EVENT, PING, ..., WS_PING, TEXT); empty: any
    topic: str | None = None  # a glob
    filter: CompiledFilter | None = None  # over an EVENT's body, as subscriptions filter
    nth: int | None = None  # fire on the Nth matching frame only
    every: int | None = None  # fire on every Nth matching frame
    times: int | None = None  # fire at most this many times
    after_ms: float | None = None  # at or after this long since the pair opened
    before_ms: float | None = None  # before this long since the pair opened
    probability: float | None = None
    seed: int | None = None
    conn: int | None = None  # the pair's index (1 for the first connection)


@dataclass(frozen=True)
class Action:
    name: str  # one of ACTIONS (HANDSHAKE_ACTIONS for handshake rules)
    ms: float = 0.0
    jitter_ms: float = 0.0
    reorder: bool = False  # delay: let later frames overtake this one
    patch: Any = None  # replace: a JSON merge patch of the body
    raw: bytes | None = None  # replace / inject: the payload itself
    opcode: int = 0x2  # inject: the frame's opcode
    to: str = "peer"  # inject: "peer" (on the way) or "sender" (back)
    when: str = "before"  # inject: before or after the matched frame (which goes on)
    code: int = 1000  # close / status
    reason: str = ""  # close reason / status body
    abrupt: bool = False  # close: drop TCP, no close frame (the peer sees 1006)
    side: str = "both"  # close: "client", "server" or "both"
    answer_pings: bool = False  # blackhole: still answer the other side's PINGs
    size: int = 0  # fragment: bytes per frame
    corrupt: str = "json"  # one of CORRUPTIONS


@dataclass(frozen=True)
class Rule:
    match: Match
    action: Action
    text: str = ""  # as given, for listings and the log
    handshake: bool = False  # applies to the opening handshake, not to frames
    id: int = 0


@dataclass(frozen=True)
class CloseOrder:
    code: int
    reason: str
    abrupt: bool
    side: str  # "client", "server" or "both"


@dataclass
class Decision:
    """``out``: frames to send, in order, each to "peer" or "sender" (the matched frame's
    sender); with ``delay`` seconds before the first."""

    out: list[tuple[str, RawFrame]] = field(default_factory=list)
    delay: float = 0.0
    reorder: bool = False
    close: CloseOrder | None = None
    blackhole: bool = False
    hold: bool = False  # park the frame until the control API forwards, edits or drops it
    rule: Rule | None = None


def frame_kind(frame: RawFrame) -> str:
    """The kind a rule matches: the protocol kind of a binary frame, or the WebSocket one."""
    if frame.opcode == 0x2:
        if not frame.payload:
            return "EMPTY"
        first = frame.payload[0]
        return _KIND_NAMES.get(first) or kind_name(first)
    if frame.opcode == 0x1:
        return "TEXT"
    return WS_KINDS.get(frame.opcode, "WS_RESERVED")


class _TopicTest:
    """Whether a topic matches any of a set of globs (one regex), remembered per topic: a
    connection's frames mostly repeat a few topics, and a dict lookup costs far less than the
    regex. Bounded: forgotten whole past ``KEEP`` topics."""

    KEEP = 4096

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self._match = pattern.match
        self._seen: dict[str, bool] = {}

    def __call__(self, topic: str) -> bool:
        known = self._seen.get(topic)
        if known is None:
            if len(self._seen) >= self.KEEP:
                self._seen.clear()
            known = self._seen[topic] = self._match(topic) is not None
        return known


_Candidates = tuple[list[tuple[Rule, "re.Pattern[str] | None"]], _TopicTest | None]


class _RuleState:
    def __init__(self, rule: Rule, conn: int) -> None:
        self.matched = 0
        self.fired = 0
        seed = rule.match.seed
        self.rng = random.Random(f"{seed}:{conn}" if seed is not None else None)


class RuleBook:
    """The rules in force, in order; changed at run time through the control API. Each rule
    has an id (given here when it has none); ``version`` tells pairs to re-read them."""

    def __init__(self, rules: list[Rule] | tuple[Rule, ...] = ()) -> None:
        self.rules: list[Rule] = []
        self.version = 0
        self._next_id = 1
        for rule in rules:
            self.add(rule)

    def add(self, rule: Rule) -> Rule:
        if not rule.id or any(r.id == rule.id for r in self.rules):
            rule = dataclasses.replace(rule, id=self._next_id)
        self._next_id = max(self._next_id, rule.id) + 1
        self.rules.append(rule)
        self.version += 1
        return rule

    def remove(self, rule_id: int) -> bool:
        kept = [r for r in self.rules if r.id != rule_id]
        found = len(kept) != len(self.rules)
        self.rules = kept
        self.version += 1
        return found


class PairRules:
    """The rules as one pair sees them, with that pair's counters and blackholes."""

    def __init__(self, book: RuleBook | list[Rule], conn: int, shared: dict[int, Any] | None = None) -> None:
        self.conn = conn
        self.book = book if isinstance(book, RuleBook) else RuleBook(book)
        self._version = self.book.version
        self._state: dict[int, _RuleState] = {}
        # handshake rules count connections, so their counters outlive one pair
        self._shared: dict[int, _RuleState] = shared if shared is not None else {}
        self.blackholed: dict[bool, bool] = {}  # direction (c2s) -> answer pings
        self._index: dict[tuple[bool, str], _Candidates] = {}
        # per direction, by the frame's opcode and first byte (what its kind is read from)
        self._by_head: dict[bool, dict[int, tuple[str, _Candidates]]] = {True: {}, False: {}}

    @property
    def rules(self) -> list[Rule]:
        return self.book.rules

    @property
    def active(self) -> bool:
        """Whether any frame may be decided (rules in force, or a blackhole)."""
        return bool(self.book.rules) or bool(self.blackholed)

    def _state_of(self, rule: Rule) -> _RuleState:
        states = self._shared if rule.handshake else self._state
        state = states.get(id(rule))
        if state is None:
            state = states[id(rule)] = _RuleState(rule, 0 if rule.handshake else self.conn)
        return state

    def fires(self, rule: Rule, c2s: bool, frame: RawFrame | None, elapsed_ms: float,
              memo: dict[str, Any] | None = None) -> bool:
        m = rule.match
        if m.conn is not None and m.conn != self.conn:
            return False
        if m.direction is not None and (m.direction == "c2s") != c2s:
            return False
        if m.after_ms is not None and elapsed_ms < m.after_ms:
            return False
        if m.before_ms is not None and elapsed_ms >= m.before_ms:
            return False
        if frame is not None and not _content_matches(m, frame, {} if memo is None else memo):
            return False
        state = self._state_of(rule)
        if m.times is not None and state.fired >= m.times:
            return False
        state.matched += 1
        if m.nth is not None and state.matched != m.nth:
            return False
        if m.every is not None and state.matched % m.every:
            return False
        if m.probability is not None and state.rng.random() >= m.probability:
            return False
        state.fired += 1
        return True

    def handshake(self, elapsed_ms: float = 0.0) -> Rule | None:
        """The handshake rule that fires for this pair's opening, if any."""
        for rule in self.rules:
            if rule.handshake and self.fires(rule, True, None, elapsed_ms):
                return rule
        return None

    def decide(self, c2s: bool, frame: RawFrame, elapsed_ms: float) -> Decision | None:
        """None: forward as is."""
        if self.blackholed:
            return self._decide_blackholed(c2s, frame, elapsed_ms)
        return self._first_firing(c2s, frame, elapsed_ms)

    def _decide_blackholed(self, c2s: bool, frame: RawFrame, elapsed_ms: float) -> Decision | None:
        if c2s in self.blackholed:
            return Decision()
        pong = self._pong_for(c2s, frame)
        decision = self._first_firing(c2s, frame, elapsed_ms)
        if pong is None:
            return decision
        if decision is None:
            return Decision(out=[pong, ("peer", frame)])
        decision.out.insert(0, pong)
        return decision

    def _first_firing(self, c2s: bool, frame: RawFrame, elapsed_ms: float) -> Decision | None:
        """The decision of the first rule that fires for ``frame``, or None."""
        if self._version != self.book.version:
            self._reindex()
        payload = frame.payload
        key = frame.opcode * 512 + (payload[0] if payload else 256)
        found = self._by_head[c2s].get(key)
        if found is None:
            kind = frame_kind(frame)
            found = self._by_head[c2s][key] = (kind, self._candidates(c2s, kind))
        kind, (candidates, any_topic) = found
        if not candidates:
            return None
        memo: dict[str, Any] = {"kind": kind}  # the frame read once, for every rule that looks inside
        if any_topic is not None:  # every candidate asks for a topic: one test rules them all out
            head = read_head(payload) if kind == "EVENT" else None  # the usual case, without _topic's call
            topic = memo["topic"] = head.topic if head is not None else _topic(payload)
            if topic is None or not any_topic(topic):
                return None
        for rule, topic_re in candidates:
            if topic_re is not None:
                topic = memo["topic"] if "topic" in memo else memo.setdefault("topic", _topic(frame.payload))
                if topic is None or not topic_re.match(topic):
                    continue
            if rule.action.name == "hold" and kind in _LIVENESS_KINDS and kind not in rule.match.kinds:
                continue
            if self.fires(rule, c2s, frame, elapsed_ms, memo):
                decision = apply(rule.action, frame, c2s, self.rules_rng(rule))
                decision.rule = rule
                if decision.blackhole:
                    self.blackholed[c2s] = rule.action.answer_pings
                return decision
        return None

    def _candidates(self, c2s: bool, kind: str) -> _Candidates:
        """The frame rules a frame of this direction and kind may fire, in order, with their topic test,
        and one test of all their topics when each has one (so twenty rules cost a regex match or so)."""
        if self._version != self.book.version:
            self._reindex()
        key = (c2s, kind)
        found = self._index.get(key)
        if found is None:
            rules = [(rule, _glob(rule.match.topic) if rule.match.topic is not None else None)
                     for rule in self.rules if not rule.handshake
                     and (rule.match.direction is None or (rule.match.direction == "c2s") == c2s)
                     and (not rule.match.kinds or kind in rule.match.kinds)]
            globs = [rule.match.topic for rule, _ in rules if rule.match.topic is not None]
            any_topic = None
            if rules and len(globs) == len(rules):
                any_topic = _TopicTest(re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs)))
            found = self._index[key] = (rules, any_topic)
        return found

    def _reindex(self) -> None:
        """The rules changed: what was worked out from them is forgotten."""
        self._index.clear()
        for by_head in self._by_head.values():
            by_head.clear()
        self._version = self.book.version

    def rules_rng(self, rule: Rule) -> random.Random:
        return self._state_of(rule).rng

    def _pong_for(self, c2s: bool, frame: RawFrame) -> tuple[str, RawFrame] | None:
        """The other direction is blackholed with answered PINGs: answer this one for it."""
        if not self.blackholed.get(not c2s):
            return None
        if frame.opcode == 0x9:
            return ("sender", RawFrame(0xA, frame.payload, masked=not c2s))
        if frame.opcode == 0x2 and frame.payload[:1] == bytes((Kind.PING,)):
            return ("sender", RawFrame(0x2, bytes((Kind.PONG,)) + frame.payload[1:], masked=not c2s))
        return None


def _content_matches(m: Match, frame: RawFrame, memo: dict[str, Any]) -> bool:
    """Kind, topic and filter, each read from the frame once however many rules ask."""
    if m.kinds:
        kind = memo.get("kind")
        if kind is None:
            kind = memo["kind"] = frame_kind(frame)
        if kind not in m.kinds:
            return False
    if m.topic is None and m.filter is None:
        return True
    if frame.opcode != 0x2:
        return False
    if m.topic is not None:
        topic = memo["topic"] if "topic" in memo else memo.setdefault("topic", _topic(frame.payload))
        if topic is None or not _glob(m.topic).match(topic):
            return False
    if m.filter is not None:
        decoded = memo.get("frame")
        if decoded is None:
            decoded = memo["frame"] = decode_received(frame.payload)
        return isinstance(decoded, Event) and m.filter.matches(decoded.body())
    return True


def _topic(payload: bytes) -> str | None:
    """The topic of an EVENT (its head, read fast) or of any other frame that names one."""
    if payload[:1] == _EVENT:
        head = read_head(payload)
        if head is not None:
            return head.topic
    decoded = decode_received(payload)
    return None if isinstance(decoded, DecodeError) else getattr(decoded, "topic", None)


@functools.lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern))


def apply(action: Action, frame: RawFrame, c2s: bool, rng: random.Random) -> Decision:
    """What ``action`` makes of ``frame`` (sent by the client when ``c2s``)."""
    name = action.name
    if name == "pass":
        return Decision(out=[("peer", frame)])
    if name == "drop":
        return Decision()
    if name == "hold":
        return Decision(hold=True)
    if name == "delay":
        jitter = rng.uniform(-action.jitter_ms, action.jitter_ms) if action.jitter_ms else 0.0
        return Decision(out=[("peer", frame)], delay=max(0.0, action.ms + jitter) / 1000, reorder=action.reorder)
    if name == "replace":
        return Decision(out=[("peer", replaced(action, frame))])
    if name == "inject":
        extra = (action.to, RawFrame(action.opcode, action.raw or b"", masked=c2s == (action.to == "peer")))
        return Decision(out=[extra, ("peer", frame)] if action.when == "before" else [("peer", frame), extra])
    if name == "close":
        return Decision(close=CloseOrder(action.code, action.reason, action.abrupt, action.side))
    if name == "blackhole":
        return Decision(blackhole=True)
    if name == "fragment":
        return Decision(out=[("peer", f) for f in fragmented(frame, action.size)])
    return Decision(out=[("peer", corrupted(action.corrupt, frame))])


def replaced(action: Action, frame: RawFrame) -> RawFrame:
    if action.raw is not None:
        return RawFrame(frame.opcode, action.raw, frame.fin, frame.rsv, frame.masked)
    return merge_patch_frame(frame, action.patch)


def merge_patch_frame(frame: RawFrame, patch: Any) -> RawFrame:
    """``frame`` with a JSON merge patch applied to its body (what follows the kind byte)."""
    head, body = frame.payload[:1], frame.payload[1:]
    try:
        obj = json.loads(body)
    except ValueError:
        obj = None
    patched = merge_patch(obj, patch)
    payload = encode_body(head[0], patched) if head else encode_body(0, patched)[1:]
    return RawFrame(frame.opcode, payload, frame.fin, frame.rsv, frame.masked)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def fragmented(frame: RawFrame, size: int) -> list[RawFrame]:
    """``frame`` as continuation frames of ``size`` bytes (control frames stay whole)."""
    payload = frame.payload
    if frame.opcode >= 0x8 or size <= 0 or len(payload) <= size:
        return [frame]
    chunks = [payload[i:i + size] for i in range(0, len(payload), size)]
    last = len(chunks) - 1
    return [RawFrame(frame.opcode if i == 0 else 0x0, chunk, frame.fin and i == last, frame.rsv if i == 0 else 0,
                     frame.masked) for i, chunk in enumerate(chunks)]


def corrupted(how: str, frame: RawFrame) -> RawFrame:
    payload = frame.payload
    if how == "utf8":
        return RawFrame(0x1, payload + b"\xc3\x28", True, 0, frame.masked)
    if how == "json":
        return RawFrame(frame.opcode, payload[:1] + b"{not json", frame.fin, frame.rsv, frame.masked)
    if how == "oversize":
        pad = max(0, MAX_MESSAGE_SIZE + 1 - len(payload))
        return RawFrame(frame.opcode, payload + b" " * pad, frame.fin, frame.rsv, frame.masked)
    if how == "opcode":
        return RawFrame(0x3, payload, frame.fin, frame.rsv, frame.masked)
    return RawFrame(frame.opcode, payload, frame.fin, frame.rsv, masked=False)  # unmasked


def close_frames(order: CloseOrder) -> list[tuple[str, RawFrame]]:
    """The close frames ``order`` sends: to the client, the server, or both."""
    payload = close_payload(order.code, order.reason)
    out = []
    if order.side in ("client", "both"):
        out.append(("client", RawFrame(0x8, payload, masked=False)))
    if order.side in ("server", "both"):
        out.append(("server", RawFrame(0x8, payload, masked=True)))
    return out
