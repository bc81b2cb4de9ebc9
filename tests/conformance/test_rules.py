"""The rule ids of docs/protocol.md, and the cases that cite them, cannot drift apart."""

import pytest

from inspector.conformance.coverage import NOT_CHECKED
from inspector.conformance.rules import SOURCES, all_rules, parse_rules, protocol_document
from inspector.conformance.server_cases import CASES


def _client_cases():
    from inspector.conformance.client_cases import CASES as CLIENT
    return list(CLIENT)


def test_every_marker_of_the_document_is_a_rule_with_level_and_source():
    rules = all_rules()
    assert len(rules) >= 50
    doc = protocol_document()
    assert doc.count("[RT-") - doc.count("`[RT-") == len(rules)  # every marker outside code is a rule
    for r in rules.values():
        assert r.level in ("MUST", "SHOULD") and r.source in SOURCES and r.text, r


def test_a_malformed_or_repeated_marker_is_refused():
    with pytest.raises(ValueError, match="malformed"):
        parse_rules("A peer must. [RT-X-1 MUST vendor]")
    with pytest.raises(ValueError, match="twice"):
        parse_rules("One. [RT-X-1 MUST reference]\nTwo. [RT-X-1 SHOULD wire-format]")


def test_the_statement_of_a_table_row_is_the_row():
    rules = parse_rules("| `0x7A` | thing [RT-T-1 MUST reference] | done |\n")
    assert rules["RT-T-1"].text == "`0x7A` → thing → done"


def test_cases_cite_only_rules_the_document_states():
    ids = set(all_rules())
    for case in [*CASES, *_client_cases()]:
        assert case.rules and set(case.rules) <= ids, case.id


def test_every_rule_is_checked_by_a_case_or_says_why_not():
    cited = {r for case in [*CASES, *_client_cases()] for r in case.rules}
    assert cited | set(NOT_CHECKED) == set(all_rules())
    assert not cited & set(NOT_CHECKED)


def test_the_conformance_document_names_every_case():
    from importlib import resources
    doc = resources.files("inspector").joinpath("docs").joinpath("conformance.md").read_text(encoding="utf-8")
    for case in [*CASES, *_client_cases()]:
        assert f"`{case.id}`" in doc, case.id
