"""How a proxy pair is named where connections are listed (the app's log, its pair filter):
``p1``, ``p2``, ... by the pair's number, so the log can tell a pair's rows from a client's
and say which side sent each frame."""

from __future__ import annotations

from inspector.protocol.events import OUT

PREFIX = "p"
SIDES = {OUT: "client → server", "in": "server → client"}  # what the client sent is OUT


def pair_conn(index: int) -> str:
    return f"{PREFIX}{index}"


def is_pair_conn(conn: str) -> bool:
    return len(conn) > len(PREFIX) and conn.startswith(PREFIX) and conn[len(PREFIX):].isdigit()
