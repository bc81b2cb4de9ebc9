"""How a proxy pair is named where connections are listed (the app's log, its pair filter):
``p1``, ``p2``, ... by the pair's number, so the log can tell a pair's rows from a client's
and say which side sent each frame. A second proxy running beside the first names its pairs
``p2.1``, ``p2.2``, ... (the proxy's number, then the pair's), so the two never mix in the log."""

from __future__ import annotations

from inspector.protocol.events import OUT

PREFIX = "p"
SIDES = {OUT: "client → server", "in": "server → client"}  # what the client sent is OUT


def pair_conn(index: int, proxy: int = 1) -> str:
    return f"{PREFIX}{index}" if proxy == 1 else f"{PREFIX}{proxy}.{index}"


RECORDING_PROFILE = "proxy"  # the profile a recording of the proxy's pairs names (proxy/record.py)
_recorded_pairs: set[str] = set()  # the labels of the pairs of proxy recordings opened


def recorded_pairs(header: dict[str, object], labels: list[str]) -> None:
    """A file opened: when it is a proxy's recording, its connections (``labels``) are pairs."""
    if header.get("profile") == RECORDING_PROFILE:
        _recorded_pairs.update(labels)


def is_pair_conn(conn: str) -> bool:
    if conn in _recorded_pairs:
        return True
    if not conn.startswith(PREFIX):
        return False
    head, dot, tail = conn[len(PREFIX):].partition(".")
    return head.isdigit() and (not dot or tail.isdigit())


def pair_index(conn: str) -> int:
    """The pair's number in a name ``pair_conn`` made."""
    return int(conn[len(PREFIX):].rpartition(".")[2])
