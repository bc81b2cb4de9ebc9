"""The cases ``realtime-inspector check-client`` runs: a fresh scripted server per case, the
user's client started against it, and its reconnects, subscriptions and PONGs judged by the rules.

Delays are measured on the server: from the close it sent to the client's next upgrade request.
A delay passes when it lies in the rule's window widened by EARLY below and LATE above
(scheduling and connect time), both in seconds and not scaled.
"""

from __future__ import annotations

import asyncio

from inspector.conformance.cases import Registry
from inspector.conformance.scripted import Attempt, ScriptedConn, ScriptedServer
from inspector.conformance.traffic import CaseFailed, CaseSkipped, HarnessError, Traffic
from inspector.protocol import backoff, closecodes, limits

CASES: Registry[ClientCtx] = Registry()
case = CASES.case

EARLY = 0.05  # a reconnect this much before its window still passes
LATE = 0.25  # ... and this much after it
CONNECT_WAIT = 15.0  # seconds the client may take to make its first connection
SETTLE = 0.4  # seconds without a new SUBSCRIBE after which a client's subscriptions count as made
WATCH = 3.0  # seconds (scaled, plus LATE) a client is watched for a retry it must not make


class ClientCtx:
    """What a client case works with: the scripted server, the time scale, and the client's exit."""

    def __init__(self, server: ScriptedServer, traffic: Traffic, scale: float, slow: bool = False):
        self.server, self.traffic, self.scale, self.slow = server, traffic, scale, slow
        self.exited: int | None = None  # the client's exit status once it ended (set by the runner)

    def window(self, n: int) -> tuple[float, float]:
        """Where reconnect delay n must fall: [0.375·2ⁿ, 0.625·2ⁿ] s, capped at 30 s, scaled."""
        lo = min(backoff.CAP, backoff.INITIAL * 2 ** min(n, 64) * (1 - backoff.JITTER))
        hi = min(backoff.CAP, backoff.INITIAL * 2 ** min(n, 64) * (1 + backoff.JITTER))
        return lo * self.scale, hi * self.scale

    async def attempt(self, index: int, timeout: float) -> Attempt | None:
        """Upgrade request number ``index`` (0 = the first), or None when none came in time."""
        loop_deadline = self.server.now() + timeout
        while len(self.server.attempts) <= index:
            if self.exited is not None:
                return None
            changed = await self.server.wait_change(loop_deadline - self.server.now())
            if not changed and len(self.server.attempts) <= index:
                return None
        return self.server.attempts[index]

    async def first(self) -> ScriptedConn:
        got = await self.attempt(0, CONNECT_WAIT)
        if got is None:
            if self.exited == 127:
                raise CaseSkipped("the client does not support this case (exit status 127)")
            if self.exited is not None:
                raise HarnessError(f"the client exited with status {self.exited} before connecting")
            raise HarnessError(f"the client did not connect within {CONNECT_WAIT:g} s")
        if got.conn is None:
            raise HarnessError("the first upgrade was refused")
        return got.conn

    async def settled(self, conn: ScriptedConn, wait: float = 2.0) -> dict[str, str]:
        """The client's subscriptions once no SUBSCRIBE came for SETTLE s (at most ``wait`` s after open)."""
        deadline = conn.opened_at + wait + SETTLE
        while self.server.now() < deadline and not conn.closed.is_set():
            last = conn.last_subscribe
            quiet = self.server.now() - (last if last is not None else conn.opened_at)
            if last is not None and quiet >= SETTLE:
                break
            await self.server.wait_change(min(SETTLE, deadline - self.server.now()))
        return dict(conn.subscriptions)

    async def delay_after_close(self, conn: ScriptedConn, n: int, rule: str, what: str) -> tuple[Attempt, float]:
        """Wait for the reconnect after ``conn`` was closed; it must come within window n."""
        lo, hi = self.window(n)
        index = len(self.server.attempts)
        assert conn.close_sent_at is not None
        # waits past the window, so a late reconnect is reported with its delay
        got = await self.attempt(index, max(2 * hi, hi + 2.0) + LATE + (conn.close_sent_at - self.server.now()))
        if got is None:
            raise CaseFailed(rule, f"no reconnect after {what}", f"a reconnect after {lo:.3g}…{hi:.3g} s",
                             "none" + (f" (the client exited with {self.exited})" if self.exited is not None else ""))
        delay = got.at - conn.close_sent_at
        if not lo - EARLY <= delay <= hi + LATE:
            raise CaseFailed(rule, f"reconnect delay {n} after {what} out of its window",
                             f"{lo:.3g}…{hi:.3g} s (±{EARLY:g}/{LATE:g} s)", f"{delay:.3f} s")
        return got, delay

    async def no_retry(self, rule: str, what: str) -> str:
        """No upgrade request may follow for WATCH s (scaled) plus LATE."""
        index = len(self.server.attempts)
        watch = WATCH * self.scale + LATE
        got = await self.attempt(index, watch)
        if got is not None:
            raise CaseFailed(rule, f"the client retried after {what}", f"no retry for {watch:.2g} s",
                             f"a new upgrade request after {got.at - self._closed_at():.3f} s")
        return "the client exited" if self.exited is not None else f"no retry within {watch:.2g} s"

    def _closed_at(self) -> float:
        times = [a.conn.close_sent_at for a in self.server.attempts if a.conn and a.conn.close_sent_at]
        return max(times) if times else self.server.attempts[0].at


def _conn(attempt: Attempt, rule: str) -> ScriptedConn:
    if attempt.conn is None:
        raise HarnessError("a reconnect was refused by the scripted server")
    return attempt.conn


# ------------------------------------------------------------------ backoff


@case("backoff-growth", "after repeated 1011 closes the reconnect delays follow 0.5 s × 2ⁿ ± 25 %", "RT-CLIENT-1")
async def growth(ctx: ClientCtx) -> str | None:
    conn = await ctx.first()
    delays = []
    steps = 8 if ctx.slow else 4
    for n in range(steps):
        conn.close(closecodes.INTERNAL_ERROR, "internal error")
        got, delay = await ctx.delay_after_close(conn, n, "RT-CLIENT-1", f"close {n + 1} (1011)")
        delays.append(delay)
        conn = _conn(got, "RT-CLIENT-1")
    return "delays " + ", ".join(f"{d:.3f}" for d in delays) + " s"


@case("backoff-reset", "the attempt counter survives a connection shorter than 10 s and resets after a longer one",
      "RT-CLIENT-2", "RT-CLIENT-1")
async def reset(ctx: ClientCtx) -> str | None:
    conn = await ctx.first()
    for n in range(2):
        conn.close(closecodes.INTERNAL_ERROR, "internal error")
        got, _ = await ctx.delay_after_close(conn, n, "RT-CLIENT-1", f"close {n + 1} (1011)")
        conn = _conn(got, "RT-CLIENT-2")
    short = backoff.RESET_AFTER * ctx.scale / 2
    await asyncio.sleep(short)
    conn.close(closecodes.INTERNAL_ERROR, "internal error")
    got, _ = await ctx.delay_after_close(conn, 2, "RT-CLIENT-2", f"a connection of {short:.2g} s (under "
                                         f"{backoff.RESET_AFTER * ctx.scale:.2g} s: no reset)")
    conn = _conn(got, "RT-CLIENT-2")
    long = backoff.RESET_AFTER * ctx.scale + 0.3
    await asyncio.sleep(long)
    conn.close(closecodes.INTERNAL_ERROR, "internal error")
    await ctx.delay_after_close(conn, 0, "RT-CLIENT-2", f"a connection of {long:.2g} s (over "
                                f"{backoff.RESET_AFTER * ctx.scale:.2g} s: reset)")
    return None


# ------------------------------------------------------------------ closes that end the session


@case("no-retry-1000", "no reconnect after a normal close (1000)", "RT-CLIENT-3")
async def after_1000(ctx: ClientCtx) -> str | None:
    (await ctx.first()).close(closecodes.NORMAL, "bye")
    return await ctx.no_retry("RT-CLIENT-3", "close 1000")


@case("no-retry-1008", "no reconnect after 1008 (policy violation)", "RT-CLIENT-5")
async def after_1008(ctx: ClientCtx) -> str | None:
    (await ctx.first()).close(closecodes.POLICY_VIOLATION, "connection limit")
    return await ctx.no_retry("RT-CLIENT-5", "close 1008")


@case("no-retry-401", "no retry after HTTP 401 on the upgrade", "RT-CLIENT-5")
async def after_401(ctx: ClientCtx) -> str | None:
    ctx.server.refuse = 1
    first = await ctx.attempt(0, CONNECT_WAIT)
    if first is None:
        await ctx.first()  # raises the right harness error or skip
    return await ctx.no_retry("RT-CLIENT-5", "HTTP 401")


@case("token-refresh-4401", "after 4401 the next upgrade carries a different token, or the client stops",
      "RT-CLIENT-4")
async def after_4401(ctx: ClientCtx) -> str | None:
    first = await ctx.attempt(0, CONNECT_WAIT)
    conn = await ctx.first()
    assert first is not None
    conn.close(closecodes.AUTH_EXPIRED, "token expired")
    index = len(ctx.server.attempts)
    got = await ctx.attempt(index, WATCH * ctx.scale + LATE)
    if got is None:
        return "the client stopped"
    if got.token == first.token:
        raise CaseFailed("RT-CLIENT-4", "the client reconnected with the expired token", "a different token or a stop",
                         "the same token again")
    return "the client reconnected with a fresh token"


# ------------------------------------------------------------------ resubscribe


def _resubscribe_case(id: str, what: str, code: int | None) -> None:
    @case(id, f"after {what} the client reconnects and restores every (topic, filter) subscription", "RT-CLIENT-6")
    async def run(ctx: ClientCtx) -> str | None:
        conn = await ctx.first()
        before = await ctx.settled(conn)
        if not before:
            raise CaseSkipped("the client made no subscription; give it topics to subscribe to")
        if code is None:
            conn.drop()
        else:
            conn.close(code, "server restart" if code == closecodes.GOING_AWAY else "internal error")
        got = await ctx.attempt(len(ctx.server.attempts), ctx.window(0)[1] + LATE + 5.0)
        if got is None:
            raise CaseFailed("RT-CLIENT-6", f"no reconnect after {what}", "a reconnect", "none")
        after = await ctx.settled(_conn(got, "RT-CLIENT-6"))
        if after != before:
            raise CaseFailed("RT-CLIENT-6", f"subscriptions not restored after {what}", _subs(before), _subs(after))
        return f"{len(after)} subscription(s) restored"


def _subs(subs: dict[str, str]) -> str:
    return ", ".join(f"{t}" + (f"[{f}]" if f else "") for t, f in sorted(subs.items())) or "none"


_resubscribe_case("resubscribe-1001", "close 1001", closecodes.GOING_AWAY)
_resubscribe_case("resubscribe-1011", "close 1011", closecodes.INTERNAL_ERROR)
_resubscribe_case("resubscribe-drop", "a dropped TCP connection", None)


@case("retry-other-code", "an unlisted close code (4000) is retried like a drop, with backoff", "RT-CLIENT-7")
async def other_code(ctx: ClientCtx) -> str | None:
    conn = await ctx.first()
    conn.close(4000, "unlisted")
    _, delay = await ctx.delay_after_close(conn, 0, "RT-CLIENT-7", "close 4000")
    return f"reconnected after {delay:.3f} s"


# ------------------------------------------------------------------ PONG


@case("pong-echo", "server PINGs with 0, 8 and 64-byte bodies are answered by identical PONGs in time", "RT-PING-3")
async def pong(ctx: ClientCtx) -> str | None:
    conn = await ctx.first()
    await ctx.settled(conn, wait=0.5)
    limit = limits.PONG_TIMEOUT * ctx.scale
    for size in (0, limits.SERVER_PING_BODY_SIZE, limits.MAX_PING_PAYLOAD):
        body = bytes((i * 53 + size) % 256 for i in range(size))
        sent_at = ctx.server.now()
        index = conn.ping(body)
        while True:
            match = [p for p in conn.pongs if p[0] >= sent_at]
            if match:
                break
            waited = await ctx.server.wait_change(sent_at + limit - ctx.server.now())
            if (not waited or conn.closed.is_set()) and not [p for p in conn.pongs if p[0] >= sent_at]:
                raise CaseFailed("RT-PING-3", f"no PONG to a {size}-byte PING within {limit:.3g} s",
                                 f"PONG {body.hex() or '(empty)'}", "nothing", index)
        _, got, got_index = match[0]
        if got != body:
            raise CaseFailed("RT-PING-3", f"the PONG does not echo the {size}-byte PING", body.hex() or "(empty)",
                             got.hex() or "(empty)", got_index)
    return None

