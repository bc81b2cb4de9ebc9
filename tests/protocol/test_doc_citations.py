"""The repository stands alone: what its files cite of the protocol is in inspector/docs/protocol.md,
under the heading they name, and nothing cites the source documents the page was written from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "inspector" / "docs" / "protocol.md"
SCANNED = ["inspector", "tests", "bench", "resources", "docs", "README.md"]
SUFFIXES = {".py", ".md", ".lua", ".yaml", ".toml", ".txt"}
# ``protocol.md, "Heading"``, ``protocol.md's "Heading"`` or ``protocol.md: "A", "B" and "C"``
CITATION = re.compile(r'protocol\.md(?:\'s)?[,:]?\s+((?:"[^"\n]+"(?:,\s*|\s+and\s+)?)+)')
OUTSIDE = re.compile(r"\b(?:wire-format|realtime-api)\.md\b")


def sources() -> list[Path]:
    found: list[Path] = []
    for name in SCANNED:
        top = ROOT / name
        paths = [top] if top.is_file() else sorted(top.rglob("*"))
        found += [p for p in paths if p.suffix in SUFFIXES and p.is_file() and p != Path(__file__).resolve()]
    return found


def headings() -> set[str]:
    return {line.lstrip("#").strip() for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("#")}


def citations() -> list[tuple[str, str]]:
    """(file, heading) for every heading a file names beside protocol.md."""
    cited = []
    for path in sources():
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in CITATION.finditer(text):
            cited += [(str(path.relative_to(ROOT)), h) for h in re.findall(r'"([^"\n]+)"', m.group(1))]
    return cited


def test_the_scan_finds_the_citations():
    files = {f for f, _ in citations()}
    assert {"inspector/protocol/backoff.py", "inspector/mock/control.py", "tests/mock/test_mock_http.py",
            "resources/wireshark/realtime.lua"} <= files


@pytest.mark.parametrize(("path", "heading"), citations())
def test_a_cited_heading_is_in_the_protocol_document(path, heading):
    assert heading in headings(), f"{path} cites {heading!r}, which protocol.md has no heading for"


def test_no_file_cites_the_documents_outside_the_repository():
    cites = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in sources()
             for m in OUTSIDE.finditer(p.read_text(encoding="utf-8", errors="replace"))]
    assert cites == []
