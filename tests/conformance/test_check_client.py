"""``check-client`` runs real client processes against its scripted server: ``tail`` passes every
case; each deliberately wrong client fails exactly the cases of its flaw. Timers scaled by 0.1."""

import json
import sys
from pathlib import Path

import pytest

from inspector.cli.main import main

HERE = Path(__file__).parent
WRONG = [sys.executable, str(HERE / "clients" / "wrong_client.py")]
TAIL = [str(Path(sys.executable).parent / "realtime-inspector"), "tail", "{url}", "--token", "{token}",
        "--subscribe", "orders.eu", "--subscribe", "ticker=data.total > `100`", "--backoff-scale", "{scale}"]


def _check(tmp_path, command, *options):
    report = tmp_path / "report.json"
    code = main(["check-client", "--time-scale", "0.1", "--json", str(report), *options, "--", *command])
    doc = json.loads(report.read_text())
    by_outcome: dict[str, set[str]] = {}
    for r in doc["results"]:
        by_outcome.setdefault(r["outcome"], set()).add(r["case"])
    return code, by_outcome, {r["case"]: r for r in doc["results"]}


def test_tail_passes_every_case(tmp_path):
    code, outcomes, _ = _check(tmp_path, TAIL)
    assert set(outcomes) == {"pass"} and len(outcomes["pass"]) == 11
    assert code == 0


@pytest.mark.parametrize("flaw, failed, non_strict", [
    ("fixed-retry", {"backoff-growth", "backoff-reset"}, {"retry-other-code"}),
    ("no-resubscribe", {"resubscribe-1001", "resubscribe-1011", "resubscribe-drop"}, set()),
    ("no-pong", set(), {"pong-echo"}),
    ("retry-after-1008", {"no-retry-1008"}, set()),
])
def test_a_wrong_client_fails_exactly_the_cases_of_its_flaw(tmp_path, flaw, failed, non_strict):
    code, outcomes, results = _check(tmp_path, [*WRONG, flaw])
    assert outcomes.get("fail", set()) == failed
    assert outcomes.get("non-strict", set()) == non_strict
    assert set(outcomes) <= {"pass", "fail", "non-strict"}
    assert code == (1 if failed else 0)
    if flaw == "fixed-retry":
        assert "out of its window" in results["backoff-growth"]["message"]
        assert results["backoff-growth"]["actual"].startswith("1.0")


def test_strict_counts_a_missing_pong_and_artifacts_hold_the_ping(tmp_path):
    code, outcomes, results = _check(tmp_path, [*WRONG, "no-pong"], "--strict", "--cases", "pong-echo",
                                     "--artifacts", str(tmp_path / "out"))
    assert code == 1 and outcomes == {"non-strict": {"pong-echo"}}
    from inspector.logstore.store_source import open_any
    from inspector.protocol.events import FrameSeen
    artifact = results["pong-echo"]["artifact"]
    assert artifact == str(tmp_path / "out" / "pong-echo")  # a session store folder, as conform's
    frames = [ev for ev in open_any(artifact).events() if isinstance(ev, FrameSeen)]
    assert frames[results["pong-echo"]["frame"]].data == b"\x20"  # the unanswered empty PING, server to client


def test_exit_127_skips_the_case(tmp_path):
    code, outcomes, results = _check(tmp_path, ["sh", "-c", "exit 127"], "--cases", "no-retry-1000")
    assert outcomes == {"skipped": {"no-retry-1000"}} and code == 0
    assert "127" in results["no-retry-1000"]["message"]
