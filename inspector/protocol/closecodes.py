"""Close codes, what they mean, and what the client does about each one."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Policy(enum.Enum):
    RETRY = "retry"                  # reconnect with backoff
    REFRESH_TOKEN = "refresh_token"  # get a fresh token, then reconnect
    STOP = "stop"                    # stop and show why; no automatic retry
    DONE = "done"                    # normal end; no automatic reconnect


@dataclass(frozen=True, slots=True)
class CloseCodeInfo:
    code: int
    name: str
    meaning: str
    policy: Policy


NORMAL = 1000
GOING_AWAY = 1001
ABNORMAL = 1006
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011
AUTH_EXPIRED = 4401

CLOSE_CODES: dict[int, CloseCodeInfo] = {
    c.code: c
    for c in (
        CloseCodeInfo(1000, "normal", "Normal close", Policy.DONE),
        CloseCodeInfo(1001, "going_away", "Going away (server restart)", Policy.RETRY),
        CloseCodeInfo(1006, "abnormal", "Connection dropped without a close frame", Policy.RETRY),
        CloseCodeInfo(1008, "policy_violation", "Policy violation (quota / abuse)", Policy.STOP),
        CloseCodeInfo(1009, "message_too_big", "Message too big (over 64 KiB)", Policy.RETRY),
        CloseCodeInfo(1011, "internal_error", "Internal server error", Policy.RETRY),
        CloseCodeInfo(4401, "auth_expired", "Auth expired mid-session — reconnect with a fresh token",
                      Policy.REFRESH_TOKEN),
    )
}


def describe(code: int | None) -> CloseCodeInfo:
    """Meaning and policy for any close code.

    Codes the spec does not list are treated as an abnormal end and retried with
    backoff, so an unexpected server never leaves the client stuck or looping hot.
    """
    if code is None:
        return CLOSE_CODES[ABNORMAL]
    info = CLOSE_CODES.get(code)
    if info is not None:
        return info
    if 4000 <= code <= 4999:
        return CloseCodeInfo(code, "application", f"Application-defined close {code}", Policy.RETRY)
    return CloseCodeInfo(code, "unknown", f"Close code {code}", Policy.RETRY)
