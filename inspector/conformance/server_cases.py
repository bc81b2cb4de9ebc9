"""The cases ``realtime-inspector conform`` runs against a server, each citing the rules it checks."""

from __future__ import annotations

import json
import secrets
import time

from inspector.conformance.cases import OPT_IN, PUBLISH, SLOW, Registry
from inspector.conformance.message_text import has_help_link, says_where
from inspector.conformance.probe import Probe, Received
from inspector.conformance.server_ctx import HttpAnswer, ServerCtx
from inspector.conformance.traffic import CaseFailed, CaseInfo
from inspector.protocol import closecodes, limits
from inspector.protocol.frames import Error, Event, Ping, Pong
from inspector.protocol.kinds import Kind

CASES: Registry[ServerCtx] = Registry()
case = CASES.case


def _unauthorized(answer: HttpAnswer, rule: str, code: str) -> None:
    """A 401 with exactly the reference's JSON body (key order and spacing are free)."""
    want = {"error": "unauthorized", "code": code, "status": 401}
    got = answer.json()
    if answer.status != 401 or got != want:
        raise CaseFailed(rule, f"expected a 401 {code}", f"401 {json.dumps(want)}",
                         f"{answer.status} {answer.body[:200].decode('utf-8', 'replace')}")
    ctype = (answer.header("content-type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise CaseFailed(rule, "the 401 body is not labelled JSON", "Content-Type: application/json",
                         f"Content-Type: {ctype or '(none)'}")


# ------------------------------------------------------------------ authentication


@case("auth-header", "a good token in Authorization: Bearer is upgraded (101)", "RT-AUTH-1", "RT-AUTH-2", "RT-AUTH-7")
async def auth_header(ctx: ServerCtx) -> str | None:
    await (await ctx.open(auth="header")).close()
    return None


@case("auth-query", "a good token in ?token= is upgraded (101)", "RT-AUTH-3")
async def auth_query(ctx: ServerCtx) -> str | None:
    await (await ctx.open(auth="query")).close()
    return None


@case("auth-missing-token", "an upgrade without a token gets 401 missing_token", "RT-AUTH-4")
async def auth_missing(ctx: ServerCtx) -> str | None:
    _unauthorized(await ctx.http(token=""), "RT-AUTH-4", "missing_token")
    return None


@case("auth-invalid-token", "a token the server does not know gets 401 invalid_token", "RT-AUTH-5")
async def auth_invalid(ctx: ServerCtx) -> str | None:
    answer = await ctx.http(token=f"conform-made-up-{secrets.token_hex(8)}")
    if answer.status == 101:
        raise CaseInfo("the server upgraded a made-up token (it accepts any token?): nothing to check")
    _unauthorized(answer, "RT-AUTH-5", "invalid_token")
    return None


@case("auth-upgrade-required", "a good token without Upgrade: websocket gets 401 upgrade_required", "RT-AUTH-6")
async def auth_upgrade(ctx: ServerCtx) -> str | None:
    _unauthorized(await ctx.http(token=ctx.target.token, upgrade=False), "RT-AUTH-6", "upgrade_required")
    return None


@case("auth-token-first", "no token and no upgrade: the token is checked first (missing_token)", "RT-AUTH-8")
async def auth_order(ctx: ServerCtx) -> str | None:
    _unauthorized(await ctx.http(token="", upgrade=False), "RT-AUTH-8", "missing_token")
    return None


@case("auth-link-header", "every 401 carries Link: <url>; rel=\"help\"", "RT-AUTH-9")
async def auth_link(ctx: ServerCtx) -> str | None:
    for token, upgrade in (("", True), (ctx.target.token, False)):
        answer = await ctx.http(token=token, upgrade=upgrade)
        values = answer.headers.get("link", [])
        links = ", ".join(values)
        if answer.status == 401 and not has_help_link(values):
            raise CaseFailed("RT-AUTH-9", "a 401 has no help link", 'Link: <url>; rel="help"', links or "no Link")
    return None


@case("path-404", "another path gets a 404 with a JSON body", "RT-AUTH-10")
async def path_404(ctx: ServerCtx) -> str | None:
    answer = await ctx.http(token=ctx.target.token, upgrade=False, path=f"/{ctx.run_id}/no-such-path")
    if answer.status != 404 or answer.json() is None:
        raise CaseFailed("RT-AUTH-10", "expected a 404 with a JSON body", "404, JSON body",
                         f"{answer.status} {answer.body[:120].decode('utf-8', 'replace')}")
    return None


# ------------------------------------------------------------------ ERROR codes


@case("error-empty-frame", "an empty message gets bad_frame and the connection stays open", "RT-ERR-2", "RT-ERR-1",
      "RT-FRAME-2")
async def err_empty(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    await ws.send(b"")
    await ws.expect_error("RT-ERR-2", "bad_frame", None)
    return None


@case("error-text-frame", "a text message gets bad_frame", "RT-ERR-2", "RT-FRAME-1")
async def err_text(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    await ws.send(json.dumps({"topic": ctx.topic("text")}))
    await ws.expect_error("RT-ERR-2", "bad_frame", None)
    return None


@case("error-not-object", "a body that is not a JSON object gets bad_frame", "RT-ERR-2", "RT-FRAME-3")
async def err_not_object(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    await ws.send(bytes((Kind.SUBSCRIBE,)) + b'["' + ctx.topic("list").encode() + b'"]')
    await ws.expect_error("RT-ERR-2", "bad_frame", None)
    return None


@case("error-missing-field", "a SUBSCRIBE without topic gets bad_frame with ref = its id", "RT-ERR-2", "RT-FRAME-4")
async def err_missing(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    await ws.send_json(Kind.SUBSCRIBE, {"id": 41})
    await ws.expect_error("RT-ERR-2", "bad_frame", 41)
    return None


@case("error-unknown-kind", "a first byte outside the kind table gets unknown_kind", "RT-ERR-3")
async def err_unknown(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    await ws.send(b"\x7a{}")
    await ws.expect_error("RT-ERR-3", "unknown_kind", None)
    return None


@case("error-unexpected-kind", "EVENT and ERROR sent by a client get unexpected_kind", "RT-ERR-4")
async def err_unexpected(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    await ws.send_json(Kind.EVENT, {"topic": ctx.topic("x"), "type": "message", "ts": 0, "data": None})
    await ws.expect_error("RT-ERR-4", "unexpected_kind", None)
    await ws.send_json(Kind.ERROR, {"code": "bad_frame", "message": "from a client", "ref": None})
    await ws.expect_error("RT-ERR-4", "unexpected_kind", None)
    return None


@case("topic-max-length", f"a topic of {limits.MAX_TOPIC_LENGTH} characters is accepted", "RT-TOPIC-1", "RT-PRES-1")
async def topic_max(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    name = ctx.topic("")
    await ws.subscribe(name + "t" * (limits.MAX_TOPIC_LENGTH - len(name)), rule="RT-TOPIC-1")
    return None


@case("error-invalid-topic", f"a topic of {limits.MAX_TOPIC_LENGTH + 1} characters or with an upper-case letter "
      "gets invalid_topic", "RT-ERR-5", "RT-TOPIC-1", "RT-FRAME-4")
async def err_topic(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    name = ctx.topic("")
    await ws.send_json(Kind.SUBSCRIBE, {"id": 7, "topic": name + "t" * (limits.MAX_TOPIC_LENGTH + 1 - len(name))})
    await ws.expect_error("RT-ERR-5", "invalid_topic", 7)
    await ws.send_json(Kind.SUBSCRIBE, {"id": 8, "topic": ctx.topic("Orders")})
    await ws.expect_error("RT-ERR-5", "invalid_topic", 8)
    return None


@case("error-invalid-filter", "a filter that does not parse gets invalid_filter saying where", "RT-ERR-6",
      "RT-FILTER-4")
async def err_filter(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    await ws.send_json(Kind.SUBSCRIBE, {"id": 9, "topic": ctx.topic("f"), "filter": "data.total > "})
    got = await ws.expect_error("RT-ERR-6", "invalid_filter", 9)
    assert isinstance(got.frame, Error)
    if not says_where(got.frame.message):
        raise CaseFailed("RT-FILTER-4", "the invalid_filter message does not say where the filter failed",
                         "where it failed (a position, a caret under the expression, the token)",
                         repr(got.frame.message), got.index)
    return None


@case("error-subscription-limit", f"the {limits.MAX_SUBSCRIPTIONS + 1}th topic gets subscription_limit; "
      "a repeated topic counts once", "RT-ERR-7", "RT-SUB-1")
async def err_limit(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    for i in range(limits.MAX_SUBSCRIPTIONS):
        await ws.subscribe(ctx.topic(f"n{i}"), id=i)
    await ws.send_json(Kind.SUBSCRIBE, {"id": 1000, "topic": ctx.topic("one-too-many")})
    await ws.expect_error("RT-ERR-7", "subscription_limit", 1000)
    await ws.subscribe(ctx.topic("n0"), "data.total > `1`", id=1001)
    return None


@case("error-not-subscribed", "UNSUBSCRIBE of a topic not held gets not_subscribed", "RT-ERR-8", "RT-SUB-2")
async def err_not_subscribed(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    await ws.send_json(Kind.UNSUBSCRIBE, {"id": 11, "topic": ctx.topic("never")})
    await ws.expect_error("RT-ERR-8", "not_subscribed", 11)
    await ws.subscribe(ctx.topic("once"))
    await ws.unsubscribe(ctx.topic("once"), 12)
    await ws.send_json(Kind.UNSUBSCRIBE, {"id": 13, "topic": ctx.topic("once")})
    await ws.expect_error("RT-ERR-8", "not_subscribed", 13)
    return None


# ------------------------------------------------------------------ subscriptions and presence


@case("subscribe-sync", "SUBSCRIBE is confirmed by a presence sync listing the members", "RT-PRES-1",
      "RT-EVENT-1", "RT-EVENT-3")
async def sub_sync(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    sync = await ws.subscribe(ctx.topic("sync"))
    members = sync.data.get("members") if isinstance(sync.data, dict) else None
    if not isinstance(members, list) or len(members) != 1 or not all(isinstance(m, str) for m in members):
        raise CaseFailed("RT-PRES-1", "the sync does not list the one member", "members: [<member id>]",
                         f"members: {members!r}", ws.traffic.frames - 1)
    now_ms = time.time() * 1000
    if abs(sync.ts - now_ms) > 24 * 3600 * 1000:
        raise CaseFailed("RT-EVENT-3", "ts is not milliseconds since the epoch", f"about {int(now_ms)}",
                         str(sync.ts), ws.traffic.frames - 1)
    return None


@case("resubscribe-sync", "a repeated SUBSCRIBE with a new filter is accepted and confirmed", "RT-SUB-1")
async def resub(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    await ws.subscribe(ctx.topic("re"))
    await ws.subscribe(ctx.topic("re"), "data.total > `100`", id=3)
    return None


def _member_ids(sync: Event) -> list[str]:
    members = sync.data.get("members") if isinstance(sync.data, dict) else None
    return [m for m in members if isinstance(m, str)] if isinstance(members, list) else []


async def _presence(ws: Probe, rule: str, action: str, member: str, count: int) -> None:
    def match(r: Received) -> bool:
        f = r.frame
        return (isinstance(f, Event) and f.type == "presence" and isinstance(f.data, dict)
                and f.data.get("action") == action)
    got = await ws.expect(rule, f"presence {action} of {member}", match)
    assert isinstance(got.frame, Event) and isinstance(got.frame.data, dict)
    data = got.frame.data
    if data.get("member") != member or data.get("members") != count:
        raise CaseFailed("RT-PRES-4" if data.get("member") == member else rule, f"wrong presence {action}",
                         f"member {member}, members {count}",
                         f"member {data.get('member')}, members {data.get('members')}", got.index)


@case("presence-join-leave", "other subscribers see join, leave on UNSUBSCRIBE and on disconnect, with the count",
      "RT-PRES-2", "RT-PRES-3", "RT-PRES-4", "RT-SUB-2")
async def presence(ctx: ServerCtx) -> str | None:
    topic = ctx.topic("presence")
    a = await ctx.open()
    mine = _member_ids(await a.subscribe(topic))
    b = await ctx.open()
    theirs = [m for m in _member_ids(await b.subscribe(topic)) if m not in mine]
    if len(theirs) != 1:
        raise CaseFailed("RT-PRES-1", "the second sync does not list the new member", "two members",
                         f"new members {theirs!r}")
    await _presence(a, "RT-PRES-2", "join", theirs[0], 2)
    await b.unsubscribe(topic)
    await _presence(a, "RT-PRES-3", "leave", theirs[0], 1)
    theirs2 = [m for m in _member_ids(await b.subscribe(topic)) if m not in mine]
    await _presence(a, "RT-PRES-2", "join", theirs2[0] if theirs2 else "?", 2)
    await b.close()
    await _presence(a, "RT-PRES-3", "leave", theirs2[0] if theirs2 else "?", 1)
    return None


# ------------------------------------------------------------------ liveness and limits


def _ping_case(size: int) -> None:
    @case(f"ping-echo-{size}", f"a client PING with a {size}-byte body is echoed by a PONG with the same bytes",
          "RT-PING-4")
    async def ping(ctx: ServerCtx) -> str | None:
        ws = await ctx.open()
        body = bytes((i * 37 + size) % 256 for i in range(size))
        await ws.send_frame(Ping(body))
        got = await ws.expect("RT-PING-4", f"a PONG with the {size} bytes sent",
                              lambda r: isinstance(r.frame, Pong))
        assert isinstance(got.frame, Pong)
        if got.frame.payload != body:
            raise CaseFailed("RT-PING-4", "the PONG does not echo the PING's body", _hex(body),
                             _hex(got.frame.payload), got.index)
        return None


def _hex(data: bytes) -> str:
    """Bytes for a message: hex, shortened past 16 bytes, with the length."""
    if not data:
        return "(empty)"
    text = data.hex() if len(data) <= 16 else data[:16].hex() + "…"
    return f"{text} ({len(data)} bytes)"


for _size in (0, limits.SERVER_PING_BODY_SIZE, limits.MAX_PING_PAYLOAD):
    _ping_case(_size)


@case("message-too-big", f"a message of {limits.MAX_MESSAGE_SIZE} bytes is read; one byte more closes with 1009",
      "RT-LIMIT-6")
async def too_big(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    topic = ctx.topic("big")

    def padded(size: int) -> bytes:
        head = json.dumps({"topic": topic}).encode()
        return bytes((Kind.SUBSCRIBE,)) + head[:-1] + b" " * (size - len(head) - 1) + b"}"

    await ws.send(padded(limits.MAX_MESSAGE_SIZE))
    await ws.expect("RT-LIMIT-6", f"a presence sync (a {limits.MAX_MESSAGE_SIZE}-byte message is allowed)",
                    lambda r: isinstance(r.frame, Event) and r.frame.type == "presence")
    index = await ws.send(padded(limits.MAX_MESSAGE_SIZE + 1))
    closed = await ws.wait_close(ctx.target.timeout)
    if closed is None or closed.code != closecodes.MESSAGE_TOO_BIG:
        raise CaseFailed("RT-LIMIT-6", f"a {limits.MAX_MESSAGE_SIZE + 1}-byte message did not close with 1009",
                         "close 1009", f"close {closed.code}" if closed else "the connection stayed open", index)
    return None


@case("connection-limit", f"the {limits.MAX_CONNECTIONS_PER_TOKEN + 1}th connection with one token is closed with "
      "1008 connection limit", "RT-LIMIT-1", needs=[OPT_IN])
async def conn_limit(ctx: ServerCtx) -> str | None:
    probes = [await ctx.open() for _ in range(limits.MAX_CONNECTIONS_PER_TOKEN)]
    for p in probes:
        await p.still_open()
    extra = await ctx.open()
    closed = await extra.wait_close(ctx.target.timeout)
    if closed is None or closed.code != closecodes.POLICY_VIOLATION:
        raise CaseFailed("RT-LIMIT-1", "the extra connection was not closed with 1008", "close 1008 connection limit",
                         f"close {closed.code} {closed.reason!r}" if closed else "it stayed open")
    return None


# ------------------------------------------------------------------ slow: the protocol's long timers


@case("idle-close", "a connection without subscription is closed with 1008 after the idle time",
      "RT-LIMIT-2", needs=[SLOW])
async def idle(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    started = time.monotonic()
    closed = await ws.wait_close(limits.IDLE_TIMEOUT * ctx.scale * 1.5 + 5)
    took = time.monotonic() - started
    if closed is None or closed.code != closecodes.POLICY_VIOLATION:
        raise CaseFailed("RT-LIMIT-2", "no idle close", "close 1008 'idle without subscription'",
                         f"close {closed.code}" if closed else "still open")
    if took < limits.IDLE_TIMEOUT * ctx.scale * 0.9:
        raise CaseFailed("RT-LIMIT-2", "closed too early", f"after {limits.IDLE_TIMEOUT * ctx.scale:g} s",
                         f"after {took:.1f} s", closed.index)
    return f"closed after {took:.1f} s"


@case("server-ping", "a silent client gets an 8-byte PING after the ping interval", "RT-PING-1", needs=[SLOW])
async def server_ping(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    await ws.subscribe(ctx.topic("quiet"))
    started = time.monotonic()
    interval = limits.SERVER_PING_INTERVAL * ctx.scale
    got = await ws.recv(interval * 1.5 + 5)
    took = time.monotonic() - started
    if got is None or not isinstance(got.frame, Ping):
        raise CaseFailed("RT-PING-1", "no PING from the server", f"a PING after {interval:g} s",
                         got.text if got else "nothing", got.index if got else None)
    if len(got.frame.payload) != limits.SERVER_PING_BODY_SIZE or took < interval * 0.9:
        raise CaseFailed("RT-PING-1", "unexpected server PING", f"{limits.SERVER_PING_BODY_SIZE} bytes after "
                         f"{interval:g} s", f"{len(got.frame.payload)} bytes after {took:.1f} s", got.index)
    return f"PING after {took:.1f} s"


@case("pong-timeout", "three unanswered server PINGs close the connection with 1008 pong timeout", "RT-PING-2",
      needs=[SLOW])
async def pong_timeout(ctx: ServerCtx) -> str | None:
    ws = await ctx.open()
    await ws.subscribe(ctx.topic("deaf"))
    ws.answer_pings = False
    bound = (limits.SERVER_PING_INTERVAL * limits.MAX_MISSED_PONGS + limits.PONG_TIMEOUT) * ctx.scale
    closed = await ws.wait_close(bound * 1.3 + 5)
    if closed is None or closed.code != closecodes.POLICY_VIOLATION:
        raise CaseFailed("RT-PING-2", "not closed for missed PONGs", "close 1008 'pong timeout'",
                         f"close {closed.code}" if closed else "still open")
    return None


# ------------------------------------------------------------------ publishing: filters and seq


async def _next_message(ws: Probe, rule: str, what: str) -> Event:
    got = await ws.expect(rule, what, lambda r: isinstance(r.frame, Event) and r.frame.type == "message",
                          skip=lambda r: isinstance(r.frame, Event) and r.frame.type == "presence")
    assert isinstance(got.frame, Event)
    return got.frame


async def _expect_total(ws: Probe, rule: str, total: int, why: str) -> Event:
    ev = await _next_message(ws, rule, f"the message with total {total} ({why})")
    if not isinstance(ev.data, dict) or ev.data.get("total") != total:
        raise CaseFailed(rule, f"wrong message delivered ({why})", f"total {total}",
                         f"data {json.dumps(ev.data)[:80]}", ws.traffic.frames - 1)
    return ev


@case("filter-delivery", "a filter delivers truthy matches only; seq counts before filtering; presence is not "
      "filtered", "RT-FILTER-1", "RT-FILTER-2", "RT-FILTER-3", "RT-EVENT-2", needs=[PUBLISH])
async def filter_delivery(ctx: ServerCtx) -> str | None:
    topic = ctx.topic("orders")
    filtered = await ctx.open()
    await filtered.subscribe(topic, "data.total > `100`")
    plain = await ctx.open()
    await plain.subscribe(topic, "")
    await _presence_any(filtered, "RT-FILTER-3", "join")
    for total in (50, 250):
        await ctx.publish(topic, {"total": total})
    first = await _expect_total(plain, "RT-FILTER-2", 50, "an empty filter lets every event through")
    second = await _expect_total(plain, "RT-FILTER-2", 250, "an empty filter lets every event through")
    if first.seq is None or second.seq != first.seq + 1:
        raise CaseFailed("RT-EVENT-2", "an unfiltered subscriber sees a seq gap", f"seq {first.seq} then "
                         f"{(first.seq or 0) + 1}", f"seq {first.seq} then {second.seq}")
    got = await _expect_total(filtered, "RT-FILTER-1", 250, "total 50 does not match the filter")
    if got.seq != second.seq:
        raise CaseFailed("RT-EVENT-2", "seq is not counted before filtering", f"seq {second.seq}", f"seq {got.seq}",
                         ctx.traffic.frames - 1)
    return None


async def _presence_any(ws: Probe, rule: str, action: str) -> None:
    await ws.expect(rule, f"a presence {action}", lambda r: isinstance(r.frame, Event) and r.frame.type == "presence"
                    and isinstance(r.frame.data, dict) and r.frame.data.get("action") == action)


@case("filter-replace", "a repeated SUBSCRIBE replaces the topic's filter", "RT-SUB-1", needs=[PUBLISH])
async def filter_replace(ctx: ServerCtx) -> str | None:
    topic = ctx.topic("replace")
    ws = await ctx.open()
    await ws.subscribe(topic, "data.total > `100`")
    await ws.subscribe(topic, "data.total < `100`")
    for total in (250, 40):
        await ctx.publish(topic, {"total": total})
    await _expect_total(ws, "RT-SUB-1", 40, "the new filter total < 100 replaced total > 100")
    return None


@case("filter-invalid-keeps", "a SUBSCRIBE with a bad filter leaves the existing subscription as it was",
      "RT-FILTER-4", needs=[PUBLISH])
async def filter_keeps(ctx: ServerCtx) -> str | None:
    topic = ctx.topic("keep")
    ws = await ctx.open()
    await ws.subscribe(topic, "data.total > `100`")
    await ws.send_json(Kind.SUBSCRIBE, {"id": 21, "topic": topic, "filter": "data.total <"})
    await ws.expect_error("RT-FILTER-4", "invalid_filter", 21)
    for total in (50, 250):
        await ctx.publish(topic, {"total": total})
    await _expect_total(ws, "RT-FILTER-4", 250, "the old filter total > 100 still applies")
    return None


@case("filter-eval-error", "a filter failing at evaluation does not match", "RT-FILTER-5", needs=[PUBLISH])
async def filter_eval(ctx: ServerCtx) -> str | None:
    topic = ctx.topic("evalerr")
    ws = await ctx.open()
    await ws.subscribe(topic, "length(data.v) > `2`")
    await ctx.publish(topic, {"v": 5})  # length() of a number: an evaluation error
    await ctx.publish(topic, {"v": "abcdef", "total": 1})
    await _expect_total(ws, "RT-FILTER-5", 1, "the first event's filter failed at evaluation")
    return None


