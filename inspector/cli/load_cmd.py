"""``realtime-inspector load``: simulated users on Locust, in a child process.

Locust patches the standard library for gevent as it is imported, so this process never
imports it: it checks the options, gathers the token pool, and runs
``python -m inspector.load`` with Locust's own arguments, handing it the tokens on
standard input (never on a command line, in the environment, or to Locust's options,
which a master forwards to its workers).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import subprocess
import sys

from inspector.cli.errors import CliError
from inspector.protocol import limits
from inspector.redact import register_secret, scrub

TOKEN_COMMAND_TIMEOUT = 30.0
PROCESSES_START_WAIT = 60  # seconds a --processes master waits for its own workers before giving up
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


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("load", help="load-test a server with many simulated users (Locust; the [load] extra)",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
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


# ---------------------------------------------------------------- tokens


def token_pool(args: argparse.Namespace) -> list[str]:
    """The tokens the options name, one per line; each is registered for scrubbing."""
    lines: list[str]
    if args.token:
        lines = [args.token]
    elif args.token_env:
        value = os.environ.get(args.token_env)
        if value is None:
            raise CliError(f"--token-env: the environment variable {args.token_env} is not set")
        lines = [value]
    elif args.token_command:
        lines = _command_lines(args.token_command)
    elif args.tokens_file:
        try:
            with open(args.tokens_file, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"--tokens-file {args.tokens_file}: {getattr(exc, 'strerror', None) or exc}") from None
    else:
        return []
    tokens = [line.strip() for line in lines if line.strip()]
    for token in tokens:
        register_secret(token)
    return tokens


def _command_lines(command: str) -> list[str]:
    try:
        done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=TOKEN_COMMAND_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise CliError(f"--token-command ran over {TOKEN_COMMAND_TIMEOUT:g} s") from None
    for line in done.stdout.splitlines():
        register_secret(line.strip())
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or [""]
        raise CliError(scrub(f"--token-command exited {done.returncode}: {last[0]}".rstrip(": ")))
    return done.stdout.splitlines()


def pool_problem(tokens: int, users: int) -> str | None:
    """Why the pool cannot carry ``users`` connections, or None."""
    per = limits.MAX_CONNECTIONS_PER_TOKEN
    if users <= tokens * per:
        return None
    return (f"the token pool is too small: {tokens} token{'s' if tokens != 1 else ''} carry at most "
            f"{tokens * per} connections ({per} per token), --users asks for {users}; the rest are closed "
            f"with 1008 'connection limit' (give at least {math.ceil(users / per)} tokens)")


# ---------------------------------------------------------------- the Locust command line


def locust_args(args: argparse.Namespace) -> list[str]:
    """Locust's arguments (after ``-f``) for these options."""
    out = ["--host", args.url, "--rt-auth", args.auth, "--rt-ping-every", str(args.ping_every),
           "--rt-pong-timeout", str(args.pong_timeout), "--rt-topics-per-user", str(args.topics_per_user),
           "--rt-target-users", str(args.users)]
    for spec in args.subscribe:
        out += ["--rt-subscribe", spec]
    if args.publish_rate > 0:
        out += ["--rt-publish-rate", str(args.publish_rate)]
    if args.publish_command:
        out += ["--rt-publish-command", args.publish_command]
    if args.json:
        out += ["--rt-json", os.path.abspath(args.json)]
    if args.worker:
        out += ["--worker"]
        if args.master_host:
            out += ["--master-host", args.master_host]
        if args.master_port:
            out += ["--master-port", str(args.master_port)]
        if args.processes:  # that many worker processes on this machine
            out += ["--processes", str(args.processes)]
        return out
    publisher = 1 if args.publish_rate > 0 else 0
    out += ["--users", str(args.users + publisher), "--spawn-rate", str(args.spawn_rate), "--run-time", args.run_time]
    if args.processes:
        out += ["--processes", str(args.processes), "--expect-workers-max-wait", str(PROCESSES_START_WAIT)]
        if args.master_bind_port:  # the forked workers connect to --master-port
            out += ["--master-port", str(args.master_bind_port)]
    if args.master:
        out += ["--master"]
        if args.expect_workers:
            out += ["--expect-workers", str(args.expect_workers)]
    if args.master_bind_port:
        out += ["--master-bind-port", str(args.master_bind_port)]
    if args.headless:
        out += ["--headless"]
    else:
        out += ["--autostart", "--autoquit", "0"]  # the web UI shows the run, which still ends on its own
    if args.csv:
        out += ["--csv", args.csv]
    if args.html:
        out += ["--html", args.html]
    out += ["Subscriber"] + (["Publisher"] if publisher else [])
    return out


def check(args: argparse.Namespace) -> None:
    if not args.worker and not args.run_time:
        raise CliError("--run-time is required (e.g. 30s, 5m): a load run always ends on its own")
    if args.worker and args.master:
        raise CliError("--worker runs users for a master: drop --master")
    if args.master and args.processes:
        raise CliError("--processes already makes this process the master of its workers: drop --master")
    if not args.master and args.expect_workers:
        raise CliError("--expect-workers goes with --master")
    if args.master_bind_port and not (args.master or args.processes):
        raise CliError("--master-bind-port goes with --master or --processes")
    if not args.subscribe and not args.worker:
        raise CliError("give the topic mix: --subscribe TOPIC[=FILTER] (repeatable)")
    from inspector.cli.tail_cmd import parse_subscribe  # here: the parser is built for the app's launch too
    for spec in args.subscribe:
        parse_subscribe(spec)
    if args.users < 1 or args.spawn_rate <= 0:
        raise CliError("--users must be at least 1 and --spawn-rate above 0")
    if args.topics_per_user < 0 or args.ping_every < 0 or args.pong_timeout <= 0 or args.publish_rate < 0:
        raise CliError("--topics-per-user, --ping-every and --publish-rate may not be negative; "
                       "--pong-timeout must be above 0")
    if args.publish_command and not args.publish_rate:
        raise CliError("--publish-command needs --publish-rate")
    if getattr(sys, "frozen", False):
        raise CliError("load runs need a Python install: pip install 'realtime-inspector[load]'")
    if importlib.util.find_spec("locust") is None:
        raise CliError("load runs need Locust: pip install 'realtime-inspector[load]'")


def run_load(args: argparse.Namespace) -> int:
    check(args)
    tokens = token_pool(args)
    runs_users = not args.master  # a master's users run on its workers, with their own pools
    if runs_users and not tokens:
        raise CliError("a token pool is needed: --tokens-file FILE, --token-command CMD (one token a line), "
                       "--token-env VAR or --token")
    if runs_users and not args.worker:
        problem = pool_problem(len(tokens), args.users)
        if problem:
            print(f"realtime-inspector: warning: {problem}", file=sys.stderr, flush=True)
    child = subprocess.Popen([sys.executable, "-m", "inspector.load", *locust_args(args)], stdin=subprocess.PIPE,
                             text=True)
    assert child.stdin is not None  # stdin=PIPE
    try:
        with child.stdin:
            child.stdin.write("".join(f"{t}\n" for t in tokens))
        return child.wait()
    except KeyboardInterrupt:
        return child.wait()  # the same Ctrl-C reached Locust: it stops its users and prints the summary
