"""Fault modes: each one breaks one rule of docs/protocol.md, so conformance runs can be tested.

Switched on with ``MockConfig(faults=...)`` or ``realtime-inspector mock --fault NAME``. The
rule ids say which conformance cases a fault must make fail, and no others.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    rules: tuple[str, ...]  # the rules it breaks
    effect: str


FAULTS: dict[str, Fault] = {f.name: f for f in (
    Fault("wrong-error-code", ("RT-ERR-3",), "an unknown kind byte is answered with bad_frame, not unknown_kind"),
    Fault("no-error-ref", ("RT-FRAME-4",), "ERROR frames carry ref null even when the request had an id"),
    Fault("no-presence-sync", ("RT-PRES-1",), "a SUBSCRIBE is not confirmed by a presence sync"),
    Fault("no-leave", ("RT-PRES-3",), "no presence leave when a member unsubscribes or disconnects"),
    Fault("unechoed-ping-body", ("RT-PING-4",), "a client PING is answered by a PONG with an empty body"),
    Fault("no-1009", ("RT-LIMIT-6",), "a message over 64 KiB is read instead of closing with 1009"),
    Fault("filter-not-replaced", ("RT-SUB-1",), "a repeated SUBSCRIBE keeps the topic's old filter"),
    Fault("short-topics", ("RT-TOPIC-1",), "topic names of 255 characters are refused with invalid_topic"),
    Fault("no-link-header", ("RT-AUTH-9",), "401 answers carry no Link header"),
    Fault("no-connection-limit", ("RT-LIMIT-1",), "a 9th connection with one token is served"),
)}


def check_faults(names: tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    """The names as a set; ValueError naming an unknown one."""
    unknown = sorted(set(names) - FAULTS.keys())
    if unknown:
        raise ValueError(f"unknown fault {unknown[0]!r} (known: {', '.join(FAULTS)})")
    return frozenset(names)
