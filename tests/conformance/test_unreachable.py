"""``conform`` against a real closed port on 127.0.0.1: said once, with tail's failure line, every case
skipped with that reason, exit 2, and no exception class name anywhere a user reads."""

import asyncio
import json
import re
import socket
import xml.etree.ElementTree as ET

import pytest

from inspector.cli.main import main
from inspector.client.failures import classify
from inspector.conformance.conform import conform, server_cases
from inspector.conformance.harness_text import harness_failure
from inspector.conformance.probe import Probe, Target
from inspector.conformance.report import Outcome
from inspector.conformance.runner import UNREACHABLE, RunOptions
from inspector.conformance.traffic import HarnessError, Traffic
from inspector.protocol.events import State, StateChanged

TOKEN = "dead-port-token-31c9"
CLASS_NAMES = re.compile(r"(?i)connectionrefusederror|oserror|timeouterror|errno|Error:")


@pytest.fixture
def dead_port() -> int:
    """A port nothing listens on: bound, then closed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_conform_cli_says_once_that_the_server_cannot_be_reached_and_exits_2(dead_port, tmp_path, capsys):
    url = f"ws://127.0.0.1:{dead_port}/api/v2/realtime"
    junit, report_json, artifacts = tmp_path / "r.xml", tmp_path / "r.json", tmp_path / "artifacts"
    argv = ["conform", url, "--token", TOKEN, "--slow", "--junit", str(junit), "--json", str(report_json),
            "--artifacts", str(artifacts)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    out = captured.out + captured.err
    tail_line = classify(ConnectionRefusedError(111, "Connect call failed"), "127.0.0.1", dead_port).message
    assert tail_line == f"connection refused by 127.0.0.1:{dead_port}"
    assert out.count(tail_line) == 1 and "cannot be reached" in out
    assert len(out.strip().splitlines()) == 2  # the heading and that one line
    assert not CLASS_NAMES.search(out) and TOKEN not in out
    doc = json.loads(report_json.read_text())
    assert doc["exit_code"] == 2 and doc["unreachable"] == tail_line
    assert {r["outcome"] for r in doc["results"]} == {"skipped"}
    assert {r["message"] for r in doc["results"]} == {UNREACHABLE}
    assert len(doc["results"]) == len(server_cases())
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("skipped") == str(len(server_cases()))
    assert list(artifacts.iterdir()) == []  # no recordings that hold only "connecting"


def test_the_report_of_an_unreachable_server_skips_every_case_with_that_reason(dead_port):
    async def go():
        return await conform(f"ws://127.0.0.1:{dead_port}/", TOKEN, server_cases(), RunOptions(slow=True),
                             timeout=1)
    report = asyncio.run(go())
    assert report.unreachable == f"connection refused by 127.0.0.1:{dead_port}"
    assert report.exit_code() == 2 and all(r.outcome is Outcome.SKIPPED for r in report.results)
    assert report.summary() == (f"the server cannot be reached: connection refused by 127.0.0.1:{dead_port}; "
                                f"{len(server_cases())} cases skipped")


def test_a_connect_that_fails_mid_run_is_one_plain_line_and_the_recording_says_why(dead_port):
    traffic = Traffic()

    async def go():
        await Probe.open(Target(f"ws://127.0.0.1:{dead_port}/", TOKEN), traffic)
    with pytest.raises(HarnessError) as caught:
        asyncio.run(go())
    assert str(caught.value) == f"cannot connect: connection refused by 127.0.0.1:{dead_port}"
    states = [(e.state, e.message) for e in traffic.events if isinstance(e, StateChanged)]
    assert states == [(State.CONNECTING, ""),
                      (State.STOPPED, f"connect failed: connection refused by 127.0.0.1:{dead_port}")]


def test_a_harness_failure_never_names_an_exception_class():
    assert harness_failure(KeyError("topic")) == "the harness failed: 'topic'"
    assert harness_failure(RuntimeError()) == "the harness failed: an unexpected error (the debug log has the details)"
    assert harness_failure(ConnectionResetError(104, "Connection reset by peer")) == (
        "the harness failed: connection reset by the server")
    assert not CLASS_NAMES.search(harness_failure(TimeoutError()))
