"""What ``--asyncapi FILE`` and ``--decode GLOB=NAME`` do for tail and replay: the payload lens
they make, and how it changes a printed line (the options themselves: common_args.py)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from inspector.cli.common_args import PayloadArgs
from inspector.cli.errors import CliError
from inspector.payloads.contract import ContractError
from inspector.payloads.decoders import DecoderError, Registry
from inspector.payloads.lens import Lens, Reading, build_lens
from inspector.protocol.events import FrameSeen, SessionEvent


def lens_from_args(args: PayloadArgs) -> Lens | None:
    path, specs = args.asyncapi, list(args.decode)
    if not path and not specs:
        return None
    registry = Registry()
    for problem in registry.problems:
        print(f"realtime-inspector: warning: {problem}", file=sys.stderr)
    try:
        return build_lens(path or "", specs, registry=registry, contract_label="--asyncapi", decoders_label="--decode")
    except (ContractError, DecoderError) as exc:
        raise CliError(str(exc)) from None


def reading_of(lens: Lens, ev: SessionEvent) -> Reading | None:
    if not isinstance(ev, FrameSeen) or ev.text:
        return None
    reading = lens.read(bytes(ev.data))
    return reading if reading.outcome is not None or reading.violation is not None else None


def with_readings(fmt: Callable[[SessionEvent], str | None], lens: Lens,
                  as_json: bool) -> Callable[[SessionEvent], str | None]:
    """A line formatter that adds each frame's reading to its line."""
    def formatted(ev: SessionEvent) -> str | None:
        line = fmt(ev)
        if line is None:
            return None
        reading = reading_of(lens, ev)
        if reading is None:
            return line
        return add_to_json(line, reading) if as_json else add_to_text(line, reading)
    return formatted


def add_to_json(line: str, reading: Reading) -> str:
    """A ``--json`` line with the reading's fields added (``decoded``, ``violation``)."""
    record: dict[str, Any] = json.loads(line)
    record.update(reading.as_dict())
    return json.dumps(record, ensure_ascii=True, separators=(",", ":"), default=str)


def add_to_text(line: str, reading: Reading) -> str:
    """A text line: the decoder's summary replaces the frame's, and a violation is marked."""
    o, v = reading.outcome, reading.violation
    if o is not None:
        line += f"  [{o.decoders}: {o.error}]" if o.error is not None else f"  = {o.summary}"
    if v is not None:
        line = f"{line}  !! violation {v.line()}"
    return line
