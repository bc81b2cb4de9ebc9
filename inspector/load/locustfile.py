"""The locustfile of ``realtime-inspector load``: our options, user classes and report.

Measurements go through Locust's request event (kind as its request type, topic or detail
as its name), so Locust's console table, CSV, HTML report, web UI and distributed
aggregation all work unchanged. The per-second latency series rides on the workers'
reports to the master.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections.abc import Callable
from typing import Any, TypeVar

import gevent
from locust import User, constant, events, task
from locust.env import Environment
from locust.event import EventHook
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner

from inspector.load import pool, report
from inspector.load.publisher import CommandPublisher, ControlPublisher, payload
from inspector.load.series import Series
from inspector.load.session import CONNECT, LoadFailure, Plan, Record, Session, SessionOver

SERIES = Series()
SAMPLE_EVERY = 1.0  # seconds between samples of the running user count
PARENT_CHECK_EVERY = 1.0
_run: dict[str, Any] = {"started": None, "sampler": None, "workers": 1}
_local_users = itertools.count()
_Handler = TypeVar("_Handler", bound=Callable[..., None])


def _listener(hook: EventHook) -> Callable[[_Handler], _Handler]:
    """``@hook.add_listener`` that keeps the handler's type (Locust's hooks are unannotated)."""
    def register(handler: _Handler) -> _Handler:
        hook.add_listener(handler)
        return handler
    return register


def _watch_parent(parent: int) -> None:
    """End the run (as Ctrl-C would) when the process that started this one is gone."""
    while os.getppid() == parent:
        gevent.sleep(PARENT_CHECK_EVERY)
    os.kill(os.getpid(), signal.SIGTERM)


@_listener(events.init)
def _init(environment: Environment, **_kw: Any) -> None:
    gevent.spawn(_watch_parent, os.getppid())


@_listener(events.init_command_line_parser)
def _options(parser: Any) -> None:
    g = parser.add_argument_group("realtime-inspector (set by `realtime-inspector load`)")
    g.add_argument("--rt-subscribe", action="append", default=[], metavar="TOPIC[=FILTER]")
    g.add_argument("--rt-topics-per-user", type=int, default=0)
    g.add_argument("--rt-auth", choices=("header", "query"), default="header")
    g.add_argument("--rt-ping-every", type=float, default=5.0)
    g.add_argument("--rt-pong-timeout", type=float, default=10.0)
    g.add_argument("--rt-publish-rate", type=float, default=0.0)
    g.add_argument("--rt-publish-command", default="")
    g.add_argument("--rt-json", default="")
    g.add_argument("--rt-target-users", type=int, default=0)
    g.add_argument("--rt-workers", type=int, default=1)  # set by the master for its workers


def _recorder(environment: Environment) -> Record:
    fire: Callable[..., None] = environment.events.request.fire  # Locust leaves it unannotated

    def record(kind: str, name: str, ms: float, size: int, failure: BaseException | None) -> None:
        fire(request_type=kind, name=name, response_time=ms, response_length=size, exception=failure,
             context={}, response=None)
    return record


def subscriptions(specs: list[str], per_user: int, index: int) -> tuple[tuple[str, str | None], ...]:
    """This user's share of the topic mix: ``per_user`` topics starting at its index (all when 0)."""
    parsed = []
    for spec in specs:
        topic, _sep, flt = spec.partition("=")
        parsed.append((topic, flt or None))
    if not per_user or per_user >= len(parsed):
        return tuple(parsed)
    return tuple(parsed[(index + i) % len(parsed)] for i in range(per_user))


def _worker_position(environment: Environment) -> tuple[int, int]:
    runner = environment.runner
    workers = environment.parsed_options.rt_workers if environment.parsed_options else 1
    return (runner.worker_index if isinstance(runner, WorkerRunner) else 0), workers


class Subscriber(User):
    """One connection: subscribes to its topics, answers server PINGs, sends its own."""

    wait_time = constant(0)

    def on_start(self) -> None:
        opts = self.environment.parsed_options
        worker, workers = _worker_position(self.environment)
        index = pool.user_index(next(_local_users), worker, workers)
        self.record = _recorder(self.environment)
        plan = Plan(url=self.host or "", subscriptions=subscriptions(opts.rt_subscribe, opts.rt_topics_per_user, index),
                    auth=opts.rt_auth, ping_every=opts.rt_ping_every or None, pong_timeout=opts.rt_pong_timeout)
        token = pool.token_for(index)
        self.session = Session(plan, token or "", self.record) if token else None
        self.started = False

    @task
    def pump(self) -> None:
        if self.session is None:
            self.record(CONNECT, "ws", 0, 0, LoadFailure("no token: this process's token pool is empty"))
            raise StopUser()
        try:
            if not self.started:
                self.started = True
                self.session.start()
            self.session.pump(1.0)
        except SessionOver:
            raise StopUser() from None

    def on_stop(self) -> None:
        if self.session is not None:
            self.session.close()


class Publisher(User):
    """Publishes ``--rt-publish-rate`` events a second over the topic mix, round robin."""

    fixed_count = 1
    wait_time = constant(0)

    def on_start(self) -> None:
        opts = self.environment.parsed_options
        record = _recorder(self.environment)
        self.topics = list(dict.fromkeys(spec.partition("=")[0] for spec in opts.rt_subscribe))
        self.interval = 1.0 / opts.rt_publish_rate if opts.rt_publish_rate > 0 else 1.0
        self.counter = itertools.count(1)
        self.next_at = time.monotonic()
        if opts.rt_publish_command:
            self.publisher: ControlPublisher | CommandPublisher = CommandPublisher(opts.rt_publish_command, record)
        else:
            self.publisher = ControlPublisher(self.host or "", pool.token_for(0) or "", opts.rt_auth, record)

    @task
    def publish(self) -> None:
        n = next(self.counter)
        self.publisher.publish(self.topics[n % len(self.topics)], payload(n))
        self.next_at += self.interval
        gevent.sleep(max(0.0, self.next_at - time.monotonic()))

    def on_stop(self) -> None:
        self.publisher.close()


# ------------------------------------------------------------ the series and the report


@_listener(events.request)
def _count(request_type: str, name: str, response_time: float, exception: BaseException | None = None,
           **_kw: Any) -> None:
    SERIES.add(int(time.time()), request_type, name, response_time, exception is not None)


@_listener(events.report_to_master)
def _send_series(client_id: str, data: dict[str, Any]) -> None:
    data["rt_series"] = SERIES.drain()


@_listener(events.worker_report)
def _take_series(client_id: str, data: dict[str, Any]) -> None:
    SERIES.merge(data.get("rt_series") or [])


def _sample_users(environment: Environment) -> None:
    """Simulated users running (the publisher is not one), second by second."""
    while True:
        runner = environment.runner
        if isinstance(runner, MasterRunner):
            SERIES.users[int(time.time())] = runner.reported_user_classes_count.get(Subscriber.__name__, 0)
        elif runner is not None:
            SERIES.users[int(time.time())] = runner.user_classes_count.get(Subscriber.__name__, 0)
        gevent.sleep(SAMPLE_EVERY)


@_listener(events.test_start)
def _started(environment: Environment, **_kw: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    if isinstance(environment.runner, MasterRunner) and environment.parsed_options is not None:
        # forwarded to the workers with the spawn message: user indexes interleave by worker
        environment.parsed_options.rt_workers = _run["workers"] = environment.runner.worker_count
    if _run["started"] is None:
        _run["started"] = time.time()
        _run["sampler"] = gevent.spawn(_sample_users, environment)


@_listener(events.quitting)
def _write_report(environment: Environment, **_kw: Any) -> None:
    opts = environment.parsed_options
    if isinstance(environment.runner, WorkerRunner) or opts is None or not opts.rt_json:
        return
    if _run["sampler"] is not None:
        _run["sampler"].kill(block=False)
    started = _run["started"] or time.time()
    options = {"subscribe": opts.rt_subscribe, "topics_per_user": opts.rt_topics_per_user,
               "ping_every": opts.rt_ping_every, "pong_timeout": opts.rt_pong_timeout,
               "publish_rate": opts.rt_publish_rate, "publish_command": bool(opts.rt_publish_command),
               "spawn_rate": opts.spawn_rate, "run_time": opts.run_time}
    data = report.build(environment.stats, SERIES, url=environment.host or "", started=started, ended=time.time(),
                        target_users=opts.rt_target_users, workers=_run["workers"], options=options)
    report.write(opts.rt_json, data)
