"""Outcomes of cases, and the run's report: text lines, JSON and JUnit XML.

Exit codes: 0 nothing failed, 1 a case failed (or, with ``strict``, a SHOULD was not met),
2 the harness could not run a case (an ``error`` outcome) or the command was misused.
"""

from __future__ import annotations

import enum
import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from inspector.private_files import open_private

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_HARNESS = 2


class Outcome(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"  # a MUST was not met
    NON_STRICT = "non-strict"  # a SHOULD was not met
    INFO = "info"  # nothing to judge, something worth knowing
    SKIPPED = "skipped"  # not run; ``message`` says why
    ERROR = "error"  # the harness could not run the case


@dataclass
class CaseResult:
    case: str
    title: str
    rules: tuple[str, ...]
    outcome: Outcome
    message: str = ""
    expected: str = ""
    actual: str = ""
    artifact: str | None = None  # the recording of a failing case
    har: str | None = None
    frame: int | None = None  # index of the offending frame among the artifact's frames
    duration: float = 0.0

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"case": self.case, "title": self.title, "rules": list(self.rules),
                               "outcome": self.outcome.value, "duration": round(self.duration, 3)}
        for key in ("message", "expected", "actual", "artifact", "har", "frame"):
            value = getattr(self, key)
            if value not in ("", None):
                out[key] = value
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> CaseResult:
        return cls(case=str(obj["case"]), title=str(obj.get("title", "")), rules=tuple(obj.get("rules", ())),
                   outcome=Outcome(obj["outcome"]), message=obj.get("message", ""),
                   expected=obj.get("expected", ""), actual=obj.get("actual", ""), artifact=obj.get("artifact"),
                   har=obj.get("har"), frame=obj.get("frame"), duration=float(obj.get("duration", 0.0)))


@dataclass
class Report:
    suite: str  # "conform" or "check-client"
    target: str  # the URL (without credentials) or the client command
    results: list[CaseResult] = field(default_factory=list)
    strict: bool = False
    duration: float = 0.0
    unreachable: str | None = None  # why the server could not be reached (then nothing ran)

    def counts(self) -> dict[str, int]:
        counts = {o.value: 0 for o in Outcome}
        for r in self.results:
            counts[r.outcome.value] += 1
        return counts

    def failed(self, r: CaseResult) -> bool:
        return r.outcome is Outcome.FAIL or (self.strict and r.outcome is Outcome.NON_STRICT)

    def exit_code(self) -> int:
        if self.unreachable or any(r.outcome is Outcome.ERROR for r in self.results):
            return EXIT_HARNESS
        return EXIT_FAILED if any(self.failed(r) for r in self.results) else EXIT_OK

    def summary(self) -> str:
        if self.unreachable:
            return f"the server cannot be reached: {self.unreachable}; {len(self.results)} cases skipped"
        c = self.counts()
        parts = [f"{c[o.value]} {o.value}" for o in Outcome if c[o.value]]
        return f"{len(self.results)} cases in {self.duration:.1f} s: " + (", ".join(parts) or "none run")

    def as_json(self) -> dict[str, Any]:
        out = {"suite": self.suite, "target": self.target, "strict": self.strict,
               "duration": round(self.duration, 3), "counts": self.counts(),
               "exit_code": self.exit_code(), "results": [r.as_json() for r in self.results]}
        if self.unreachable:
            out["unreachable"] = self.unreachable
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Report:
        return cls(suite=str(obj.get("suite", "")), target=str(obj.get("target", "")),
                   results=[CaseResult.from_json(r) for r in obj.get("results", [])],
                   strict=bool(obj.get("strict", False)), duration=float(obj.get("duration", 0.0)),
                   unreachable=obj.get("unreachable") or None)


def result_line(r: CaseResult) -> str:
    """One line per case: outcome, case id, the rule ids, then why."""
    head = f"{r.outcome.value.upper():<10} {r.case:<24} {','.join(r.rules)}"
    detail = r.message
    if r.expected or r.actual:
        detail += f" (expected {r.expected}; got {r.actual})"
    if r.artifact:
        detail += f" [recording: {r.artifact}]"
    return f"{head}  {detail}".rstrip()


def write_json(report: Report, path: str | os.PathLike[str]) -> None:
    data = json.dumps(report.as_json(), indent=1, ensure_ascii=False) + "\n"
    with open_private(path, "w", encoding="utf-8") as f:
        f.write(data)


def junit_xml(report: Report) -> bytes:
    """JUnit XML as CI servers read it: one testsuite, one testcase per case (classname = the rule ids)."""
    c = report.counts()
    failures = sum(1 for r in report.results if report.failed(r))
    suite = ET.Element("testsuite", {
        "name": f"realtime-inspector {report.suite}", "tests": str(len(report.results)),
        "failures": str(failures), "errors": str(c[Outcome.ERROR.value]),
        "skipped": str(c[Outcome.SKIPPED.value]), "time": f"{report.duration:.3f}"})
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "target", "value": report.target})
    ET.SubElement(props, "property", {"name": "strict", "value": str(report.strict).lower()})
    if report.unreachable:
        ET.SubElement(props, "property", {"name": "unreachable", "value": report.unreachable})
    for r in report.results:
        tc = ET.SubElement(suite, "testcase", {"classname": " ".join(r.rules) or report.suite, "name": r.case,
                                               "time": f"{r.duration:.3f}"})
        text = result_line(r)
        if report.failed(r):
            ET.SubElement(tc, "failure", {"message": r.message, "type": r.outcome.value}).text = text
        elif r.outcome is Outcome.ERROR:
            ET.SubElement(tc, "error", {"message": r.message}).text = text
        elif r.outcome is Outcome.SKIPPED:
            ET.SubElement(tc, "skipped", {"message": r.message})
        elif r.outcome in (Outcome.INFO, Outcome.NON_STRICT):
            ET.SubElement(tc, "system-out").text = text
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    # typeshed types an encoding other than "unicode" or None as Any; "utf-8" gives bytes
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml + b"\n"


def write_junit(report: Report, path: str | os.PathLike[str]) -> None:
    with open_private(path, "wb") as f:
        f.write(junit_xml(report))
