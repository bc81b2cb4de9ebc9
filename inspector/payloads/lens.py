"""What a frame's payload means: its decoded value (by the topic's decoder chain) and whether
its data keeps the topic's contract. One call per frame, from the CLI or the app's worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inspector.payloads.contract import Contract, ContractError, Violation
from inspector.payloads.decoders import DecoderError, Outcome, Registry, Rule, parse_rules, rule_for, run_chain
from inspector.payloads.guard import Guard
from inspector.protocol.frames import Event, try_decode


@dataclass(frozen=True)
class Reading:
    outcome: Outcome | None = None
    violation: Violation | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.outcome is not None:
            o = self.outcome
            out["decoded"] = ({"decoders": o.decoders, "error": o.error} if o.error is not None
                              else {"decoders": o.decoders, "value": o.value, "summary": o.summary})
        if self.violation is not None:
            out["violation"] = self.violation.as_dict()
        return out


NOTHING = Reading()


class Lens:
    def __init__(self, contract: Contract | None = None, rules: list[Rule] | None = None,
                 registry: Registry | None = None, timeout: float = 2.0):
        self.contract = contract
        self.rules = rules or []
        self.registry = registry or Registry(plugins=False)
        self.guard = Guard(timeout) if self.rules else None
        self._hung: set[str] = set()  # chains that timed out once are not run again

    @property
    def active(self) -> bool:
        return self.contract is not None or bool(self.rules)

    def read(self, data: bytes) -> Reading:
        """The reading of one frame's bytes; NOTHING for anything but an EVENT."""
        if not self.active or not data or data[0] != 0x10:
            return NOTHING
        frame = try_decode(bytes(data))
        if not isinstance(frame, Event) or frame.type != "message":
            return NOTHING  # presence data is the protocol's, not the topic's payload
        violation = None
        if self.contract is not None:
            violation = self.contract.check(frame.topic, frame.data)
        outcome = None
        rule = rule_for(self.rules, frame.topic)
        if rule is not None:
            outcome = self.decode(rule, frame.data, bytes(data))
        return Reading(outcome, violation) if outcome is not None or violation is not None else NOTHING

    def decode(self, rule: Rule, value: Any, frame: bytes) -> Outcome:
        if rule.spec in self._hung:
            return Outcome(rule.spec, error=f"{rule.spec}: skipped (it hung on an earlier frame)")
        if self.guard is None:
            self.guard = Guard()
        try:
            result: Outcome = self.guard.run(run_chain, rule, self.registry, value, frame)
            return result
        except TimeoutError as exc:
            self._hung.add(rule.spec)
            return Outcome(rule.spec, error=f"{rule.spec}: {exc}")

    def close(self) -> None:
        if self.guard is not None:
            self.guard.close()


def build_lens(asyncapi: str, decoders: dict[str, str] | list[str], *, registry: Registry | None = None,
               contract_label: str = "contract", decoders_label: str = "decoders") -> Lens:
    """A profile's (or command line's) contract file and decoder settings; ValueError as one
    line, starting with the setting's label (the command line names its options)."""
    contract = None
    if asyncapi:
        try:
            contract = Contract.load(asyncapi)
        except ContractError as exc:
            raise ContractError(f"{contract_label}: {exc}") from None
    registry = registry if registry is not None else Registry()
    try:
        rules = parse_rules(decoders, registry)
    except DecoderError as exc:
        raise DecoderError(f"{decoders_label}: {exc}") from None
    return Lens(contract, rules, registry)
