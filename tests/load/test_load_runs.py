"""``realtime-inspector load`` end to end: bounded Locust runs against the real mock on 127.0.0.1.

Each run is a real child process (Locust, gevent) with a few dozen users for a few seconds;
the assertions read the run's JSON report and Locust's printed summary.
"""

from __future__ import annotations

import importlib.util
import json
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="module")
def _locust_installed() -> None:
    # the [load] extra, which packaging/dev.py installs: missing, these tests fail rather than skip.
    # Never imported here: it would patch this process for gevent.
    assert importlib.util.find_spec("locust") is not None, "locust missing: pip install -e '.[load]'"

TOPICS = ["ticker", "orders.eu=data.total > `100`"]
RUN_TIMEOUT = 60
# workers start, connect and report to the master inside the run: on a busy 2-core machine 3 s was not enough
DISTRIBUTED_RUN = "8s"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tokens_file(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "tokens.txt"
    path.write_text("".join(f"load-token-{i}\n" for i in range(n)))
    return path


def load_cmd(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "inspector", "load", url, *args]


def run_load(url: str, tmp_path: Path, *args: str, users: int = 20, tokens: int = 3,
             run_time: str = "3s") -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "run.json"
    argv = load_cmd(url, "--tokens-file", str(tokens_file(tmp_path, tokens)), "--users", str(users),
                    "--spawn-rate", "100", "--run-time", run_time, "--headless", "--json", str(out), *args)
    for spec in TOPICS:
        argv += ["--subscribe", spec]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=tmp_path)
    assert out.exists(), done.stderr[-3000:]
    return done, json.loads(out.read_text())


def entries(report: dict) -> dict[tuple[str, str], dict]:
    return {(e["kind"], e["name"]): e for e in report["entries"]}


def test_a_headless_run_reports_every_kind_per_topic(mock_server, tmp_path):
    # server PINGs come after 0.2 s of client silence; our own PINGs go every 0.5 s
    mock = mock_server(ping_interval=0.2, pong_timeout=1.0)
    done, report = run_load(mock.url, tmp_path, "--publish-rate", "40", "--ping-every", "0.5")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = entries(report)
    assert rows[("CONNECT", "ws")]["requests"] == 20
    for topic in ("ticker", "orders.eu"):
        assert rows[("SUBSCRIBE", topic)]["requests"] == 20  # SUBSCRIBE -> presence sync, once per user
        assert rows[("EVENT", topic)]["requests"] > 0 and rows[("EVENT", topic)]["per_s"] > 0
        assert rows[("PUBLISH", topic)]["requests"] > 0
        assert rows[("PRESENCE", topic)]["requests"] > 0  # the joins of the users after each one
    assert rows[("PING", "rtt")]["requests"] > 0
    assert rows[("SERVER_PING", "answered")]["requests"] > 0
    # the filtered topic delivers only the publishes the filter lets through; no gap counts as a failure
    assert rows[("EVENT", "orders.eu")]["requests"] < rows[("EVENT", "ticker")]["requests"]
    assert report["total"]["failures"] == 0 and report["errors"] == []
    assert report["peak_users"] == 20 and report["target_users"] == 20 and report["workers"] == 1
    kinds = {(r["kind"], r["name"]) for r in report["series"]}
    assert {("EVENT", "ticker"), ("EVENT", "orders.eu"), ("PING", "rtt")} <= kinds
    assert all(r["p50"] <= r["p90"] <= r["p99"] <= r["max"] for r in report["series"] if r["p50"] is not None)
    # Locust's own summary (on stderr) carries the same names
    assert re.search(r"EVENT +ticker", done.stderr) and re.search(r"SUBSCRIBE +orders\.eu", done.stderr)
    assert "load-token-" not in done.stdout + done.stderr + json.dumps(report)


def test_mock_faults_show_up_as_failures(mock_server, tmp_path):
    mock = mock_server(ping_interval=30.0)
    mock.server.answer_pings = False  # stopped PONGs
    storm_over = threading.Event()
    closed: list[int] = []

    def storm() -> None:  # a 1011 storm: every connection closed with "internal error", again and again
        while not storm_over.wait(1.0):  # room between storms for a PONG to be missed, even on a busy machine
            closed.append(mock.call(mock.server.close_all, 1011, "internal error"))

    stormer = threading.Thread(target=storm)
    stormer.start()
    try:
        done, report = run_load(mock.url, tmp_path, "--ping-every", "0.2", "--pong-timeout", "0.3", users=12,
                                    run_time="5s")
    finally:
        storm_over.set()
        stormer.join()
    rows = entries(report)
    # each 1011 a user received is one failure; a user whose own missed-PONG close crossed the storm's never sees it,
    # so how many of the storm's closes land depends on timing, but none is invented and some always land
    assert 0 < rows[("CLOSE", "1011 internal_error")]["failures"] <= sum(closed)
    assert rows[("PING", "rtt")]["failures"] > 0
    errors = {(e["kind"], e["name"]): e["error"] for e in report["errors"]}
    assert errors[("CLOSE", "1011 internal_error")] == "closed by the server: 1011 internal error"
    assert errors[("PING", "rtt")] == "no PONG within 0.3 s"
    assert rows[("CONNECT", "ws")]["requests"] > 12  # the users reconnected after each 1011
    assert done.returncode == 1  # Locust's exit status when there were failures


def test_processes_2_aggregates_both_processes_users(mock_server, tmp_path):
    mock = mock_server()
    done, report = run_load(mock.url, tmp_path, "--processes", "2", "--master-bind-port", str(free_port()),
                            "--publish-rate", "20", users=10, tokens=2, run_time=DISTRIBUTED_RUN)
    assert done.returncode == 0, done.stderr[-3000:]
    assert report["workers"] == 2
    rows = entries(report)
    assert rows[("CONNECT", "ws")]["requests"] == 10
    assert rows[("SUBSCRIBE", "ticker")]["requests"] == 10
    assert report["peak_users"] == 10
    # the series merges both workers' samples: its counts add up to Locust's totals
    assert sum(r["count"] for r in report["series"] if r["kind"] == "EVENT" and r["name"] == "ticker") \
        == rows[("EVENT", "ticker")]["requests"]


def test_a_master_with_one_local_worker(mock_server, tmp_path):
    mock = mock_server()
    port = free_port()
    out = tmp_path / "dist.json"
    master = subprocess.Popen(load_cmd(mock.url, "--master", "--expect-workers", "1", "--master-bind-port", str(port),
                                       "--users", "12", "--spawn-rate", "100", "--run-time", DISTRIBUTED_RUN,
                                       "--headless", "--json", str(out), "--publish-rate", "30",
                                       "--subscribe", "ticker", "--subscribe", TOPICS[1]),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    worker = subprocess.Popen(load_cmd(mock.url, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port),
                                       "--tokens-file", str(tokens_file(tmp_path, 2))),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        _m_out, m_err = master.communicate(timeout=RUN_TIMEOUT)
        worker.communicate(timeout=RUN_TIMEOUT)
    finally:
        for proc in (master, worker):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert master.returncode == 0, m_err[-3000:]
    report = json.loads(out.read_text())
    rows = entries(report)
    assert report["workers"] == 1 and report["peak_users"] == 12
    assert rows[("CONNECT", "ws")]["requests"] == 12
    assert rows[("EVENT", "ticker")]["requests"] > 0 and rows[("EVENT", "orders.eu")]["requests"] > 0
    print(json.dumps({"users": report["peak_users"], "workers": report["workers"],
                      "messages_per_s": {k[1]: v["per_s"] for k, v in rows.items() if k[0] == "EVENT"},
                      "lag_ms": {k[1]: [v["p50"], v["p90"], v["p99"]] for k, v in rows.items() if k[0] == "EVENT"}}))


def test_a_pool_too_small_is_said_before_and_during_the_run(mock_server, tmp_path):
    mock = mock_server()
    done, report = run_load(mock.url, tmp_path, users=10, tokens=1, run_time="2s")
    assert "the token pool is too small: 1 token carry at most 8 connections" in done.stderr
    errors = {(e["kind"], e["name"]): e["error"] for e in report["errors"]}
    assert "the pool is too small" in errors[("CLOSE", "1008 policy_violation")]
    assert entries(report)[("CLOSE", "1008 policy_violation")]["failures"] == 2


@pytest.mark.parametrize("argv, message", [
    (["--tokens-file", "t", "--subscribe", "ticker"], "--run-time is required"),
    (["--run-time", "2s", "--subscribe", "ticker"], "a token pool is needed"),
    (["--run-time", "2s", "--token", "x"], "give the topic mix"),
    (["--run-time", "2s", "--token", "x", "--subscribe", "Bad Topic"], "invalid topic"),
])
def test_usage_errors_are_one_line(argv, message, tmp_path):
    done = subprocess.run(load_cmd("ws://127.0.0.1:9/api/v2/realtime", *argv), capture_output=True, text=True,
                          timeout=RUN_TIMEOUT, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
