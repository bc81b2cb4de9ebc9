"""What the proxy tab asks of a running proxy, as functions run on the proxy's loop
(``ProxyThread.call``), and the rule lines its breakpoint form and faults bar make."""

from __future__ import annotations

from inspector.proxy.rule_text import parse_rule
from inspector.proxy.rules import Rule
from inspector.proxy.server import ProxyServer
from inspector.proxy.wire import RawFrame, close_payload, encode

LIVENESS = ("PING", "PONG", "WS_PING", "WS_PONG")


def quoted(value: str) -> str:
    """A rule value as one word of a rule line."""
    if value and not any(c.isspace() or c in "'\"" for c in value):
        return value
    return f"'{value}'" if "'" not in value else f'"{value}"'


def breakpoint_rule(direction: str, kinds: str, topic: str, filter_text: str, liveness: bool) -> str:
    """A hold rule's line; PING/PONG are held only when ``liveness`` asks (holding them skews latency)."""
    names = [k.strip().upper() for k in kinds.split(",") if k.strip()]
    if liveness:
        names += [k for k in LIVENESS if k not in names]
    words = [f"dir={direction}"] if direction in ("c2s", "s2c") else []
    if names:
        words.append("kind=" + ",".join(names))
    if topic.strip():
        words.append(f"topic={quoted(topic.strip())}")
    if filter_text.strip():
        words.append(f"filter={quoted(filter_text.strip())}")
    return " ".join([*words, "->", "hold"])


def drop_events_rule(count: int) -> str:
    return f"dir=s2c kind=EVENT times={count} -> drop"


def delay_rule(direction: str, ms: int) -> str:
    return f"dir={direction} -> delay ms={ms}"


def no_pongs_rule() -> str:
    return "dir=s2c kind=PONG,WS_PONG -> drop"


def blackhole_rule(direction: str) -> str:
    return f"dir={direction} -> blackhole"


def add_rule(server: ProxyServer, text: str) -> Rule:
    return server.book.add(parse_rule(text, "rule"))


def remove_rule(server: ProxyServer, rule_id: int) -> bool:
    return server.book.remove(rule_id)


def inject(server: ProxyServer, conn: int, to_server: bool, opcode: int, payload: bytes) -> bool:
    pair = server.pairs.get(conn)
    if pair is None:
        return False
    pair.inject(to_server, RawFrame(opcode, payload))
    return True


def close_side(server: ProxyServer, conn: int | None, side: str, code: int, reason: str) -> int:
    """Send a close frame with ``code`` to the client, the server or both sides of a pair
    (every open pair when ``conn`` is None), then end both TCP connections; how many pairs."""
    pairs = list(server.pairs.values()) if conn is None else [p for p in [server.pairs.get(conn)] if p is not None]
    payload = close_payload(code, reason)
    for pair in pairs:
        if side in ("client", "both"):
            pair.client.send(encode(RawFrame(0x8, payload), mask=False))
        if side in ("server", "both"):
            pair.server.send(encode(RawFrame(0x8, payload), mask=True))
        pair.client.end(True)
        pair.server.end(True)
    return len(pairs)
