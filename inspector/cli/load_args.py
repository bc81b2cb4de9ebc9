"""``realtime-inspector load``: its options, and their values as one typed object."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from inspector.cli.common_args import Subparsers, add_command
from inspector.protocol import limits

NAME = "load"
EPILOG = """\
examples:
  realtime-inspector load ws://127.0.0.1:8765/api/v2/realtime --tokens-file tokens.txt \\
      --subscribe ticker --subscribe 'orders.eu=data.total > `100`' \\
      --users 200 --spawn-rate 50 --run-time 2m --publish-rate 100 --headless --json run.json
  realtime-inspector load URL --token-command 'vault read -field=tokens rt/load' --users 2000 \\
      --run-time 10m --processes 4 --headless --csv run --html run.html --json run.json
  # many machines: one master, then a worker per machine (each with its own token pool)
  realtime-inspector load URL --master --expect-workers 3 --users 6000 --run-time 15m --headless --json run.json ...
  realtime-inspector load URL --worker --master-host 10.0.0.5 --tokens-file tokens.txt

Each simulated user is one connection; the API allows 8 connections per token, so the pool
needs users / 8 tokens. Open the --json file in the app (File > Open load run...).
docs: inspector/docs/load.md
"""


def add_parser(sub: Subparsers) -> None:
    p = add_command(sub, NAME, "load-test a server with many simulated users (Locust; the [load] extra)", EPILOG)
    p.add_argument("url", help="the realtime endpoint (ws:// or wss://)")
    tokens = p.add_mutually_exclusive_group()
    tokens.add_argument("--token", help="one token for every user (at most 8 users)")
    tokens.add_argument("--token-env", metavar="VAR", help="one token from this environment variable")
    tokens.add_argument("--token-command", metavar="CMD", help="run this shell command; it prints one token a line")
    tokens.add_argument("--tokens-file", metavar="FILE", help="a file with one token a line")
    p.add_argument("--auth", choices=("header", "query"), default="header",
                   help="send each token as 'Authorization: Bearer' (default) or as ?token=")
    w = p.add_argument_group("what each user does")
    w.add_argument("--subscribe", action="append", default=[], metavar="TOPIC[=FILTER]",
                   help="a topic of the mix, with an optional filter (repeatable, at least one)")
    w.add_argument("--topics-per-user", type=int, default=0, metavar="K",
                   help="each user takes K topics of the mix, in turn (default: all of them)")
    w.add_argument("--ping-every", type=float, default=5.0, metavar="SECONDS",
                   help="send our own PINGs this often, 0 for none (default: %(default)s)")
    w.add_argument("--pong-timeout", type=float, default=limits.PONG_TIMEOUT, metavar="SECONDS",
                   help="a PING without its PONG this long is a failure (default: %(default)s)")
    w.add_argument("--publish-rate", type=float, default=0.0, metavar="PER_SECOND",
                   help="also publish this many events a second over the mix (one extra Locust user)")
    w.add_argument("--publish-command", metavar="CMD",
                   help="publish by running CMD (RT_TOPIC and RT_DATA in its environment) instead of "
                   "through the mock's control channel")
    r = p.add_argument_group("the run (Locust's options)")
    r.add_argument("--users", type=int, default=10, help="simulated users, one connection each (default: 10)")
    r.add_argument("--spawn-rate", type=float, default=10.0, help="users started per second (default: 10)")
    r.add_argument("--run-time", metavar="TIME", help="required (except with --worker): e.g. 30s, 5m, 1h30m")
    r.add_argument("--processes", type=int, metavar="N",
                   help="run N worker processes on this machine (-1: one per core); with --worker too")
    r.add_argument("--master", action="store_true", help="coordinate workers on other machines")
    r.add_argument("--expect-workers", type=int, metavar="N", help="with --master: start once N workers are in")
    r.add_argument("--master-bind-port", type=int, metavar="PORT", help="with --master: port to listen on")
    r.add_argument("--worker", action="store_true", help="run users for a master")
    r.add_argument("--master-host", metavar="HOST", help="with --worker: the master's address")
    r.add_argument("--master-port", type=int, metavar="PORT", help="with --worker: the master's port")
    r.add_argument("--headless", action="store_true", help="no web UI: start at once, print the summary")
    r.add_argument("--csv", metavar="PREFIX", help="with --headless: Locust's CSV files PREFIX_stats.csv, ...")
    r.add_argument("--html", metavar="FILE", help="Locust's HTML report")
    r.add_argument("--json", metavar="FILE", help="our report, which the app opens (File > Open load run...)")


@dataclass(frozen=True)
class LoadArgs:
    url: str
    token: str | None = field(repr=False)  # never in a repr
    token_env: str | None
    token_command: str | None
    tokens_file: str | None
    auth: str
    subscribe: tuple[str, ...]
    topics_per_user: int
    ping_every: float
    pong_timeout: float
    publish_rate: float
    publish_command: str | None
    users: int
    spawn_rate: float
    run_time: str | None
    processes: int | None
    master: bool
    expect_workers: int | None
    master_bind_port: int | None
    worker: bool
    master_host: str | None
    master_port: int | None
    headless: bool
    csv: str | None
    html: str | None
    json: str | None

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace) -> LoadArgs:
        return cls(
            url=ns.url, token=ns.token, token_env=ns.token_env, token_command=ns.token_command,
            tokens_file=ns.tokens_file, auth=ns.auth, subscribe=tuple(ns.subscribe),
            topics_per_user=ns.topics_per_user, ping_every=ns.ping_every, pong_timeout=ns.pong_timeout,
            publish_rate=ns.publish_rate, publish_command=ns.publish_command, users=ns.users,
            spawn_rate=ns.spawn_rate, run_time=ns.run_time, processes=ns.processes, master=ns.master,
            expect_workers=ns.expect_workers, master_bind_port=ns.master_bind_port, worker=ns.worker,
            master_host=ns.master_host, master_port=ns.master_port, headless=ns.headless, csv=ns.csv,
            html=ns.html, json=ns.json)
