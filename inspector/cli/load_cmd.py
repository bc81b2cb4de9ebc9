"""``realtime-inspector load``: simulated users on Locust, in a child process.

Locust patches the standard library for gevent as it is imported, so this process never
imports it: it checks the options, gathers the token pool, and runs
``python -m inspector.load`` with Locust's own arguments, handing it the tokens on
standard input (never on a command line, in the environment, or to Locust's options,
which a master forwards to its workers).
"""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys

from inspector.cli.errors import CliError
from inspector.cli.load_args import LoadArgs
from inspector.cli.subscribe_spec import parse_subscribe
from inspector.protocol import limits
from inspector.redact import register_secret, scrub

TOKEN_COMMAND_TIMEOUT = 30.0
PROCESSES_START_WAIT = 60  # seconds a --processes master waits for its own workers before giving up


# ---------------------------------------------------------------- tokens


def token_pool(args: LoadArgs) -> list[str]:
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


def locust_args(args: LoadArgs) -> list[str]:
    """Locust's arguments (after ``-f``) for these options."""
    return _rt_args(args) + (_worker_args(args) if args.worker else _run_args(args))


def _rt_args(args: LoadArgs) -> list[str]:
    """The host and our locustfile's options."""
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
    return out


def _worker_args(args: LoadArgs) -> list[str]:
    out = ["--worker"]
    if args.master_host:
        out += ["--master-host", args.master_host]
    if args.master_port:
        out += ["--master-port", str(args.master_port)]
    if args.processes:  # that many worker processes on this machine
        out += ["--processes", str(args.processes)]
    return out


def _run_args(args: LoadArgs) -> list[str]:
    """A run's users, its end and its processes; its user classes last."""
    publisher = 1 if args.publish_rate > 0 else 0
    assert args.run_time is not None  # check() requires it without --worker
    out = ["--users", str(args.users + publisher), "--spawn-rate", str(args.spawn_rate), "--run-time", args.run_time]
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


def check(args: LoadArgs) -> None:
    if not args.worker and not args.run_time:
        raise CliError("--run-time is required (e.g. 30s, 5m): a load run always ends on its own")
    _check_roles(args)
    _check_values(args)
    if getattr(sys, "frozen", False):
        raise CliError("load runs need a Python install: pip install 'realtime-inspector[load]'")
    if importlib.util.find_spec("locust") is None:
        raise CliError("load runs need Locust: pip install 'realtime-inspector[load]'")


def _check_roles(args: LoadArgs) -> None:
    """The distributed options go together."""
    if args.worker and args.master:
        raise CliError("--worker runs users for a master: drop --master")
    if args.master and args.processes:
        raise CliError("--processes already makes this process the master of its workers: drop --master")
    if not args.master and args.expect_workers:
        raise CliError("--expect-workers goes with --master")
    if args.master_bind_port and not (args.master or args.processes):
        raise CliError("--master-bind-port goes with --master or --processes")


def _check_values(args: LoadArgs) -> None:
    """The topic mix and the numbers."""
    if not args.subscribe and not args.worker:
        raise CliError("give the topic mix: --subscribe TOPIC[=FILTER] (repeatable)")
    for spec in args.subscribe:
        parse_subscribe(spec)
    if args.users < 1 or args.spawn_rate <= 0:
        raise CliError("--users must be at least 1 and --spawn-rate above 0")
    if args.topics_per_user < 0 or args.ping_every < 0 or args.pong_timeout <= 0 or args.publish_rate < 0:
        raise CliError("--topics-per-user, --ping-every and --publish-rate may not be negative; "
                       "--pong-timeout must be above 0")
    if args.publish_command and not args.publish_rate:
        raise CliError("--publish-command needs --publish-rate")


def run_load(args: LoadArgs) -> int:
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
