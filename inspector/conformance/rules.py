"""The protocol's rules, read from the markers in docs/protocol.md.

A marker ``[RT-PING-2 MUST reference]`` (not in a code span) ends each normative statement: id, level, and the
source (``reference`` = the vendor's API reference, ``wire-format`` = the project's
decision where that reference is silent). The document is the one place a rule is stated; this module only indexes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

MARKER_RE = re.compile(r"(?<!`)\[(RT-[A-Z]+-\d+) (MUST|SHOULD) (reference|wire-format)\]")
LOOSE_MARKER_RE = re.compile(r"(?<!`)\[RT-[^\]]*\]")  # anything that looks like a marker, well formed or not
LEVELS = ("MUST", "SHOULD")
SOURCES = {"reference": "vendor reference", "wire-format": "project decision"}


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    level: str  # MUST or SHOULD
    source: str  # reference or wire-format
    text: str  # the statement the marker ends, as the document words it

    @property
    def source_name(self) -> str:
        return SOURCES[self.source]


def protocol_document() -> str:
    return resources.files("inspector").joinpath("docs").joinpath("protocol.md").read_text(encoding="utf-8")


def parse_rules(doc: str) -> dict[str, Rule]:
    """Every marker of ``doc`` as a Rule, in document order. ValueError for a malformed or repeated id."""
    rules: dict[str, Rule] = {}
    for loose in LOOSE_MARKER_RE.finditer(doc):
        if not MARKER_RE.match(loose.group(0)):
            raise ValueError(f"malformed rule marker {loose.group(0)!r}")
    last_end = 0
    for m in MARKER_RE.finditer(doc):
        rule_id, level, source = m.groups()
        if rule_id in rules:
            raise ValueError(f"rule id {rule_id} is used twice")
        rules[rule_id] = Rule(rule_id, level, source, _statement(doc, last_end, m.start()))
        last_end = m.end()
    return rules


def _statement(doc: str, lo: int, hi: int) -> str:
    """The text a marker ends: its table row, or back to the previous marker, paragraph or list item."""
    line_start = doc.rfind("\n", 0, hi) + 1
    if doc.startswith("| ", line_start):
        line = MARKER_RE.sub("", doc[line_start:doc.find("\n", hi)])
        return " → ".join(c.strip() for c in line.strip().strip("|").split("|") if c.strip())
    chunk = doc[lo:hi]
    for sep in ("\n\n", "\n- ", "\n| ", "| "):
        i = chunk.rfind(sep)
        if i >= 0 and chunk[i + len(sep):].strip():
            chunk = chunk[i + len(sep):]
    text = " ".join(chunk.replace("|", " ").split()).strip(" ;:,-.")
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=1)
def all_rules() -> dict[str, Rule]:
    return parse_rules(protocol_document())


def rule(rule_id: str) -> Rule:
    """The rule with this id; KeyError when the document has none."""
    return all_rules()[rule_id]
