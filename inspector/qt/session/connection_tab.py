"""One open connection: its RealtimeClient, live state, counters and subscriptions.

The tab listens to its client (in batches: a flood costs a call per batch, not per
frame) for what it shows itself (state, subscription changes, presence, recent EVENTs
for the editor's preview) and hands the same events on to the sinks the main window
attaches (the log, the latency plot).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from inspector.client.model import ClientConfig, ConnectOptions, NotConnected, TopicError, cleartext_token_warning
from inspector.client.tokens import TokenSource
from inspector.profiles import Profile, Subscription, default_data_dir
from inspector.protocol.events import FrameSeen, SessionEvent, State, StateChanged, SubscriptionChanged, SubState
from inspector.protocol.filters import FilterError
from inspector.protocol.limits import IDLE_TIMEOUT
from inspector.qt.aio import Tasks
from inspector.qt.flow_layout import FlowLayout
from inspector.qt.session.state_view import StateView
from inspector.qt.session.subscriptions import SubscriptionEditor
from inspector.qt.session.tls_view import TlsView
from inspector.redact import redact_url

FrameSink = Callable[[FrameSeen], None]
BatchSink = Callable[[list[FrameSeen]], None]  # frames in the client's batches
EventSink = Callable[[SessionEvent], None]  # every event but frames

if TYPE_CHECKING:
    from inspector.client.engine import RealtimeClient


def token_source(p: Profile) -> TokenSource:
    if p.token_kind == "env":
        return TokenSource.env(p.token_env)
    if p.token_kind == "command":
        return TokenSource.command(p.token_command)
    return TokenSource.literal(p.token)


def client_config(p: Profile, url: str, key_password: str | None = None, trust: str | None = None,
                  **overrides: Any) -> ClientConfig:
    """The client configuration for a profile; ``trust``: a CA file to trust instead of the
    profile's (the embedded mock's throwaway CA); ``overrides``: ClientConfig fields that scale
    timers (tests, bench), of their several types."""
    options = p.connect_options(key_password)
    if trust:
        options = dataclasses.replace(options, cacert=trust)
    cfg = ClientConfig(url=url, token=token_source(p), auth=p.auth,
                       ping_interval=p.ping_interval or None, auto_reconnect=p.auto_reconnect,
                       options=options, **overrides)
    cfg.validate()
    return cfg


def open_tab_for(tabs: Iterable[ConnectionTab], profile: Profile) -> ConnectionTab | None:
    """The tab already connected (or connecting) with ``profile``, if any: Connect shows it
    instead of opening a second connection with the same token."""
    for tab in tabs:
        if tab.profile.name == profile.name and tab.client.state is not State.STOPPED:
            return tab
    return None


def _releaser(client: RealtimeClient, listener: Callable[..., None], tasks: Tasks) -> Callable[..., None]:
    """What a deleted tab leaves behind: no listener on it, no client running for nobody.
    (A closure over these, not over the tab: the tab's Python object is gone by then.)"""
    def release(*_args: object) -> None:
        client.remove_batch_listener(listener)
        if client.running:
            try:
                asyncio.get_running_loop()
            except RuntimeError:  # no loop runs (a teardown): the loop's owner cancels the task
                return
            tasks.spawn(client.stop(), name=f"stop {client.conn_id} (tab deleted)")
    return release


class ConnectionTab(QWidget):
    message = Signal(str)  # status-bar text
    state_changed = Signal(object)  # StateChanged, for the tab title
    save_subscriptions = Signal(str, object)  # profile name, list[Subscription]
    save_ca_file = Signal(str, str)  # profile name, the CA file the user chose to trust

    def __init__(self, profile: Profile, url: str, conn_id: str, tasks: Tasks, parent: QWidget | None = None,
                 key_password: str | None = None, trust: str | None = None, data_dir: Path | None = None,
                 **config_overrides: Any):
        super().__init__(parent)
        self.profile = profile
        self.conn_id = conn_id
        self.tasks = tasks
        self.url = url
        config = client_config(profile, url, key_password=key_password, trust=trust, **config_overrides)
        from inspector.client.engine import RealtimeClient  # the client loads with the first connection
        self.client = RealtimeClient(config, conn_id=conn_id)
        for sub in profile.subscriptions:
            self.client.subscribe(sub.topic, sub.filter)

        self.title = QLabel(f"<b>{conn_id}</b> · {profile.name} · {redact_url(url)}")
        self.title.setWordWrap(True)
        self.cleartext_warning = QLabel(cleartext_token_warning(url) or "")
        self.cleartext_warning.setObjectName("cleartextWarning")
        self.cleartext_warning.setWordWrap(True)
        self.cleartext_warning.setStyleSheet("color: #b45309; font-weight: bold")
        self.cleartext_warning.setVisible(bool(self.cleartext_warning.text()))
        # the profile's contract or decoders failing on this connection (shown, never only logged)
        self.payload_warning = QLabel()
        self.payload_warning.setObjectName("payloadWarning")
        self.payload_warning.setWordWrap(True)
        self.payload_warning.setStyleSheet("color: #d33; font-weight: bold")
        self.payload_warning.hide()
        self.state_view = StateView()
        self.tls_view = TlsView()
        self.tls_view.set_insecure(profile.insecure)
        from inspector.qt.session.tls_failure import TlsFailurePanel
        self.tls_failure = TlsFailurePanel(url, profile.name, config.options, data_dir or default_data_dir(), tasks)
        self.counters = QLabel()
        self.ping_button = QPushButton("Ping now")
        self.save_button = QPushButton("Save subscriptions to profile")
        self.save_button.setToolTip("Subscribe to these topics with these filters whenever this profile connects")
        self.idle_timeout = IDLE_TIMEOUT
        self._idle_since: float | None = None
        self.idle_warning = QLabel()
        self.idle_warning.setObjectName("idleWarning")
        self.idle_warning.setWordWrap(True)
        self.idle_warning.setStyleSheet("color: #b45309; font-weight: bold")
        self.idle_warning.hide()
        self.editor = SubscriptionEditor()
        self._editor_frames = self.editor.ingest_frames
        self.counters.setWordWrap(True)
        buttons = FlowLayout()
        buttons.addWidget(self.ping_button)
        buttons.addWidget(self.save_button)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.title)
        layout.addWidget(self.cleartext_warning)
        layout.addWidget(self.tls_failure)  # above the state: in a short window its buttons stay in view
        layout.addWidget(self.state_view)
        layout.addWidget(self.payload_warning)
        layout.addWidget(self.tls_view)
        layout.addWidget(self.counters)
        layout.addLayout(buttons)
        layout.addWidget(self.idle_warning)
        layout.addWidget(self.editor, 1)
        # a short window scrolls the tab instead of squeezing the log above it
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidget(content)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # it reflows instead
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll_area)

        self.state_view.reconnect_requested.connect(self.reconnect_now)
        self.state_view.disconnect_requested.connect(self.disconnect_now)
        self.ping_button.clicked.connect(self.ping_now)
        self.save_button.clicked.connect(self._save_subscriptions)
        self.tls_failure.retry.connect(self._retry_with)
        self.tls_failure.ca_file_chosen.connect(lambda path: self.save_ca_file.emit(self.profile.name, path))
        self.tls_failure.message.connect(self.message)
        self.editor.subscribe_requested.connect(self.subscribe)
        self.editor.unsubscribe_requested.connect(self.unsubscribe)
        self.client.add_batch_listener(self._on_batch)
        # deleted without shutdown() (its owner went first): unhook, and stop the client
        self.destroyed.connect(_releaser(self.client, self._on_batch, tasks))
        self.state_changed.connect(self._watch_idle)
        self.add_event_sink(self.state_view.ingest_ping)  # PONG overdue, in the header
        self.state_view.text_changed.connect(self._update_counters)  # the RTT marked stale at once
        # The subscriptions queued above were emitted before we listened: show them.
        for topic, info in self.client.subscriptions.items():
            self.editor.ingest(SubscriptionChanged(conn_id, 0.0, topic, info.state, info.filter))

        self._counter_timer = QTimer(self)
        self._counter_timer.setInterval(1000)
        self._counter_timer.timeout.connect(self._update_counters)
        self._counter_timer.start()
        self._update_counters()

    # ------------------------------------------------------------ events
    def add_sinks(self, on_frame: FrameSink, on_other: EventSink) -> None:
        """Also feed ``on_frame(FrameSeen)`` and ``on_other(any other event)``."""
        self._frame_sinks = (*self._frame_sinks, on_frame)
        self._other_sinks = (*self._other_sinks, on_other)

    def add_batch_sinks(self, on_frames: BatchSink, on_other: EventSink) -> None:
        """Also feed ``on_frames(list[FrameSeen])`` and ``on_other(any other event)``: frames
        come in the client's batches, so a flood costs a consumer one call per batch."""
        self._batch_sinks = (*self._batch_sinks, on_frames)
        self._other_sinks = (*self._other_sinks, on_other)

    def add_event_sink(self, fn: EventSink) -> None:
        """Feed ``fn`` every event except frames (a recorder, which takes frames from the log)."""
        self._other_sinks = (*self._other_sinks, fn)

    def remove_event_sink(self, fn: EventSink) -> None:
        self._other_sinks = tuple(f for f in self._other_sinks if f != fn)

    _frame_sinks: tuple[FrameSink, ...] = ()
    _batch_sinks: tuple[BatchSink, ...] = ()
    _other_sinks: tuple[EventSink, ...] = ()

    def _on_batch(self, frames: list[FrameSeen], event: SessionEvent | None) -> None:
        """The client's batch: received frames, then the event after them (or None)."""
        if frames:
            self._on_frames(frames)
        if event is not None:
            self._on_event(event)

    def _on_frames(self, frames: list[FrameSeen]) -> None:
        for batch_sink in self._batch_sinks:
            batch_sink(frames)
        for frame_sink in self._frame_sinks:
            for ev in frames:
                frame_sink(ev)
        self._editor_frames(frames)

    def _on_event(self, ev: SessionEvent) -> None:
        if type(ev) is FrameSeen:  # one the client sent, or a text frame
            self._on_frames([ev])
            return
        if type(ev) is StateChanged:
            ev = self.tls_failure.ingest(ev)  # a refused certificate: buttons, not command-line advice
        for fn in self._other_sinks:
            fn(ev)
        if type(ev) is StateChanged:
            if ev.state is State.OPEN:
                self.tls_view.show_session(self.client.session_info)
            self.state_view.ingest(ev)
            self.state_changed.emit(ev)
        elif type(ev) is SubscriptionChanged:
            self.editor.ingest(ev)

    def show_payload_trouble(self, text: str) -> None:
        """A line under the state: the profile's contract or decoders failed on this connection."""
        lines = self.payload_warning.text().splitlines()
        line = f"⚠ {text}"
        if line not in lines:
            self.payload_warning.setText("\n".join([*lines, line]))
        self.payload_warning.show()

    def _watch_idle(self, _ev: object = None) -> None:
        """The server closes a connection that has no subscription for ``idle_timeout``: count
        from the moment it is open without one, and say so while it lasts (checked on every
        state change and with the counters)."""
        idle = self.client.state is State.OPEN and not any(
            info.state in (SubState.ACTIVE, SubState.PENDING) for info in self.client.subscriptions.values())
        if not idle:
            self._idle_since = None
        elif self._idle_since is None:
            self._idle_since = time.monotonic()
        self._update_idle_warning()

    def _update_idle_warning(self) -> None:
        if self._idle_since is None:
            self.idle_warning.hide()
            return
        left = max(0.0, self.idle_timeout - (time.monotonic() - self._idle_since))
        self.idle_warning.setText(
            f"No subscriptions: the server closes a connection without one after {self.idle_timeout:g} s "
            f"(about {left:.0f} s left). Subscribe to a topic to keep it open.")
        self.idle_warning.show()

    def _update_counters(self, *_args: object) -> None:
        self._watch_idle()
        s = self.client.stats
        rtt = f"{s.last_rtt * 1000:.1f} ms" if s.last_rtt is not None else "—"
        if s.last_rtt is not None and self.state_view.rtt_stale:
            rtt += " (stale: PONG overdue)"
        self.counters.setText(f"in {s.frames_in:,} frames · out {s.frames_out:,} · "
                              f"connects {s.connects} · last RTT {rtt}")

    # ------------------------------------------------------------ actions
    def start(self) -> None:
        self.client.start()

    def _retry_with(self, options: ConnectOptions) -> None:
        """Connect again with other TLS options (a CA to trust, or none checked this once)."""
        self.client.config.options = options
        self.tls_view.set_insecure(options.insecure)
        self.client.start()

    def reconnect_now(self) -> None:
        self.client.reconnect_now()

    def disconnect_now(self) -> None:
        self.tasks.spawn(self.client.stop(), name=f"disconnect {self.conn_id}")

    async def shutdown(self) -> None:
        """Stop the client (close 1000) and the tab's timers."""
        self._counter_timer.stop()
        await self.client.stop()

    def ping_now(self) -> None:
        try:
            self.client.ping()
        except NotConnected:
            self.message.emit(f"{self.conn_id}: not connected")

    def subscribe(self, topic: str, flt: str) -> None:
        try:
            self.client.subscribe(topic, flt or None)
        except (TopicError, FilterError) as exc:
            self.message.emit(f"{self.conn_id}: {exc}")
        self._watch_idle()

    def unsubscribe(self, topic: str) -> None:
        try:
            self.client.unsubscribe(topic)
        except TopicError as exc:
            self.message.emit(f"{self.conn_id}: {exc}")
        self._watch_idle()

    def current_subscriptions(self) -> list[Subscription]:
        """The subscriptions worth keeping (failed ones are left out)."""
        return [Subscription(topic, info.filter) for topic, info in self.client.subscriptions.items()
                if info.state is not SubState.FAILED]

    def _save_subscriptions(self) -> None:
        self.save_subscriptions.emit(self.profile.name, self.current_subscriptions())

    @property
    def is_open(self) -> bool:
        return self.client.state is State.OPEN
