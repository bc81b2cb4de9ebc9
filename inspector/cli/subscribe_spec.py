"""``--subscribe TOPIC[=FILTER]``, as tail and load take it."""

from __future__ import annotations

from inspector.cli.errors import CliError
from inspector.protocol.filters import FilterError, compile_filter
from inspector.protocol.topics import topic_error


def parse_subscribe(spec: str) -> tuple[str, str | None]:
    """``TOPIC[=FILTER]`` → (topic, filter); CliError naming the position when invalid."""
    topic, sep, flt = spec.partition("=")
    reason = topic_error(topic)
    if reason is not None:
        raise CliError(f"--subscribe {spec!r}: invalid topic: {reason}")
    if not sep or flt == "":
        return topic, None
    try:
        compile_filter(flt)
    except FilterError as exc:
        where = f" at position {exc.position}" if exc.position is not None else ""
        pointer = ""
        if exc.position is not None:
            pointer = f" (here: {flt[:exc.position]!r} >>> {flt[exc.position:]!r})"
        raise CliError(f"--subscribe {spec!r}: invalid filter{where}: {exc.message}{pointer}") from None
    return topic, flt
