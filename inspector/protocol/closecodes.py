"""Close codes, what they mean, and what the client does about each one (docs/protocol.md,
"Close codes" and "Client reconnect policy")."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from inspector.protocol.limits import MAX_MESSAGE_SIZE


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
PROTOCOL_ERROR = 1002
NO_STATUS = 1005  # a close frame without a code (never sent on the wire)
ABNORMAL = 1006  # no close frame at all (never sent on the wire)
INVALID_DATA = 1007  # e.g. a text message that is not UTF-8
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011
AUTH_EXPIRED = 4401
APPLICATION_CODES = range(4000, 5000)  # RFC 6455: codes for the application to define

CLOSE_CODES: dict[int, CloseCodeInfo] = {
    c.code: c
    for c in (
        CloseCodeInfo(NORMAL, "normal", "Normal close", Policy.DONE),
        CloseCodeInfo(GOING_AWAY, "going_away", "Going away (server restart)", Policy.RETRY),
        # RFC 6455's own codes for a broken conversation (the client closes with them too)
        CloseCodeInfo(PROTOCOL_ERROR, "protocol_error", "Protocol error", Policy.RETRY),
        CloseCodeInfo(INVALID_DATA, "invalid_data", "Invalid data (e.g. text that is not UTF-8)", Policy.RETRY),
        CloseCodeInfo(ABNORMAL, "abnormal", "Connection dropped without a close frame", Policy.RETRY),
        CloseCodeInfo(POLICY_VIOLATION, "policy_violation", "Policy violation (quota / abuse)", Policy.STOP),
        CloseCodeInfo(MESSAGE_TOO_BIG, "message_too_big",
                      f"Message too big (over {MAX_MESSAGE_SIZE // 1024} KiB)", Policy.RETRY),
        CloseCodeInfo(INTERNAL_ERROR, "internal_error", "Internal server error", Policy.RETRY),
        CloseCodeInfo(AUTH_EXPIRED, "auth_expired", "Auth expired mid-session — reconnect with a fresh token",
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
    if code in APPLICATION_CODES:
        return CloseCodeInfo(code, "application", f"Application-defined close {code}", Policy.RETRY)
    return CloseCodeInfo(code, "unknown", f"Close code {code}", Policy.RETRY)
