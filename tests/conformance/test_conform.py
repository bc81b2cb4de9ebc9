"""``conform`` against the real mock on 127.0.0.1: every case passes; each fault mode fails exactly its cases."""

import asyncio
import json
import xml.etree.ElementTree as ET

import pytest

from inspector.cli.main import main
from inspector.conformance.conform import conform, server_cases
from inspector.conformance.publish import ControlPublisher
from inspector.conformance.report import Outcome
from inspector.conformance.runner import RunOptions
from inspector.protocol.events import FrameSeen
from inspector.recording.reader import open_recording

TOKEN = "conform-token-5e1d"
# the protocol's timers times 0.01: ping 30 s -> 0.3 s, pong 10 s -> 0.1 s, idle 60 s -> 0.6 s
SCALE = 0.01
SCALED = {"ping_interval": 0.3, "pong_timeout": 0.1, "idle_timeout": 0.6}


def _run(server, *, only=None, slow=False, artifacts=None, timeout=1.0, opted=("connection-limit",)):
    async def go():
        opts = RunOptions(slow=slow, artifacts=artifacts, opted_in=frozenset(opted))
        return await conform(server.url, TOKEN, server_cases(only), opts, timeout=timeout, scale=SCALE,
                             publisher=ControlPublisher(server.control_url, TOKEN))
    return asyncio.run(go())


def _outcomes(report, *wanted):
    return {r.case for r in report.results if r.outcome in wanted}


def test_every_case_passes_against_the_mock(mock_server):
    server = mock_server(tokens=frozenset({TOKEN}), **SCALED)
    report = _run(server, slow=True)
    assert {r.case: r.outcome for r in report.results if r.outcome is not Outcome.PASS} == {}
    assert len(report.results) == len(server_cases()) and report.exit_code() == 0


# Each fault breaks one rule; these are the cases that observe it. A missing sync breaks every case
# that waits for the confirmation of a subscription.
SYNC_USERS = {"topic-max-length", "error-subscription-limit", "error-not-subscribed", "subscribe-sync",
              "resubscribe-sync", "presence-join-leave", "message-too-big", "filter-delivery", "filter-replace",
              "filter-invalid-keeps", "filter-eval-error"}
REF_USERS = {"error-missing-field", "error-invalid-topic", "error-invalid-filter", "error-subscription-limit",
             "error-not-subscribed", "filter-invalid-keeps"}


@pytest.mark.parametrize("fault, failed, non_strict", [
    ("wrong-error-code", {"error-unknown-kind"}, set()),
    ("no-error-ref", REF_USERS, set()),
    ("no-presence-sync", SYNC_USERS, set()),
    ("no-leave", {"presence-join-leave"}, set()),
    ("unechoed-ping-body", {"ping-echo-8", "ping-echo-64"}, set()),
    ("no-1009", {"message-too-big"}, set()),
    ("filter-not-replaced", {"filter-replace"}, set()),
    ("short-topics", {"topic-max-length"}, set()),
    ("no-link-header", set(), {"auth-link-header"}),
    ("no-connection-limit", {"connection-limit"}, set()),
])
def test_a_fault_fails_exactly_the_cases_of_its_rule(mock_server, fault, failed, non_strict):
    server = mock_server(tokens=frozenset({TOKEN}), faults=(fault,))
    report = _run(server, timeout=0.5)
    assert _outcomes(report, Outcome.FAIL) == failed
    assert _outcomes(report, Outcome.NON_STRICT) == non_strict
    assert _outcomes(report, Outcome.ERROR, Outcome.INFO) == set()
    assert report.exit_code() == (1 if failed else 0)


def test_a_failure_names_its_recording_with_the_offending_frame(mock_server, tmp_path):
    server = mock_server(tokens=frozenset({TOKEN}), faults=("wrong-error-code",))
    report = _run(server, only=["error-unknown-kind", "ping-echo-0"], artifacts=tmp_path)
    results = {r.case: r for r in report.results}
    failed, passed = results["error-unknown-kind"], results["ping-echo-0"]
    assert failed.case == "error-unknown-kind" and failed.outcome is Outcome.FAIL
    assert failed.expected == "ERROR unknown_kind (ref null)" and failed.actual.startswith("ERROR bad_frame")
    assert failed.artifact == str(tmp_path / "error-unknown-kind.rirec") and failed.har.endswith(".har")
    assert passed.artifact is None and sorted(p.name for p in tmp_path.iterdir()) == [
        "error-unknown-kind.har", "error-unknown-kind.rirec"]
    assert (tmp_path / "error-unknown-kind.rirec").stat().st_mode & 0o777 == 0o600
    rec = open_recording(failed.artifact)
    frames = [ev for ev in rec.events() if isinstance(ev, FrameSeen)]
    offending = frames[failed.frame]
    assert offending.direction == "in" and offending.data[0] == 0xFF and b"bad_frame" in offending.data
    assert TOKEN.encode() not in (tmp_path / "error-unknown-kind.rirec").read_bytes()
    assert TOKEN.encode() not in (tmp_path / "error-unknown-kind.har").read_bytes()


def test_cli_exit_codes_reports_and_junit(mock_server, tmp_path, capsys):
    server = mock_server(tokens=frozenset({TOKEN}), faults=("unechoed-ping-body",))
    junit, report_json = tmp_path / "r.xml", tmp_path / "r.json"
    argv = ["conform", server.url, "--token", TOKEN, "--answer-timeout", "0.5", "--cases", "ping-*,auth-*",
            "--exclude", "auth-query", "--junit", str(junit), "--json", str(report_json)]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "FAIL       ping-echo-8" in out and "2 fail" in out and TOKEN not in out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    counts = [suite.get(k) for k in ("tests", "failures", "errors", "skipped")]
    assert counts == ["9", "2", "0", "0"]
    cases = {tc.get("name"): tc for tc in suite.iter("testcase")}
    assert set(cases) == {"ping-echo-0", "ping-echo-8", "ping-echo-64", "auth-header", "auth-missing-token",
                          "auth-invalid-token", "auth-upgrade-required", "auth-token-first", "auth-link-header"}
    assert cases["ping-echo-8"].find("failure") is not None and cases["ping-echo-0"].find("failure") is None
    assert cases["ping-echo-8"].get("classname") == "RT-PING-4"
    doc = json.loads(report_json.read_text())
    assert doc["counts"]["fail"] == 2 and doc["exit_code"] == 1
    assert main(["conform", server.url, "--token", TOKEN, "--cases", "ping-echo-0"]) == 0
    assert main(["conform", server.url, "--token", "not-the-token", "--cases", "ping-echo-0"]) == 2  # harness error
    assert main(["conform", server.url, "--token", TOKEN, "--cases", "no-such-case"]) == 2
    assert "no case or rule matches 'no-such-case'" in capsys.readouterr().err


def test_publishing_cases_are_skipped_with_why_when_nothing_can_publish(mock_server):
    server = mock_server(tokens=frozenset({TOKEN}))

    async def go():
        return await conform(server.url, TOKEN, server_cases(["filter-*", "idle-close"]), RunOptions(), timeout=1)
    report = asyncio.run(go())
    assert {r.outcome for r in report.results} == {Outcome.SKIPPED}
    why = {r.case: r.message for r in report.results}
    assert "--control URL" in why["filter-replace"] and "--slow" in why["idle-close"]


def test_mock_fault_option_reaches_the_server_config():
    from inspector.cli.main import build_parser
    from inspector.cli.mock_args import MockArgs
    from inspector.cli.mock_cmd import config_from_args
    args = build_parser(open_file=False).parse_args(["mock", "--fault", "no-leave", "--fault", "no-1009"])
    assert config_from_args(MockArgs.from_namespace(args)).faults == ("no-leave", "no-1009")
    with pytest.raises(SystemExit):
        build_parser(open_file=False).parse_args(["mock", "--fault", "no-such-fault"])


def test_publish_command_runs_the_filter_cases(mock_server, tmp_path, capsys):
    import shlex
    import sys
    from pathlib import Path
    server = mock_server(tokens=frozenset({TOKEN}))
    cli = shlex.quote(str(Path(sys.executable).parent / "realtime-inspector"))
    command = f"{cli} publish {server.url} --token {TOKEN} {{topic}} {{data}}"
    excludes = tmp_path / "exclude.txt"
    excludes.write_text("# not this one\nfilter-eval-error  # nor this\n\n")
    argv = ["conform", server.url, "--token", TOKEN, "--cases", "filter-*", "--exclude-file", str(excludes),
            "--publish-command", command]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "3 cases" in out and "3 pass" in out and "filter-eval-error" not in out
