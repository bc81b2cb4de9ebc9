"""One open connection: its RealtimeClient, live state, counters and subscriptions.

The tab listens to its client (in batches: a flood costs a call per batch, not per
frame) for what it shows itself (state, subscription changes, presence, recent EVENTs
for the editor's preview) and hands the same events on to the sinks the main window
attaches (the log, the latency plot).
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from inspector.client.engine import ClientConfig, NotConnected, RealtimeClient, TopicError
from inspector.client.model import cleartext_token_warning
from inspector.client.tokens import TokenSource
from inspector.profiles import Profile, Subscription
from inspector.protocol.events import FrameSeen, State, StateChanged, SubscriptionChanged, SubState
from inspector.protocol.filters import FilterError
from inspector.qt.aio import Tasks
from inspector.qt.session.state_view import StateView
from inspector.qt.session.subscriptions import SubscriptionEditor
from inspector.redact import redact_url


def token_source(p: Profile) -> TokenSource:
    if p.token_kind == "env":
        return TokenSource.env(p.token_env)
    if p.token_kind == "command":
        return TokenSource.command(p.token_command)
    return TokenSource.literal(p.token)


def client_config(p: Profile, url: str, **overrides) -> ClientConfig:
    """The client configuration for a profile; ``overrides`` scale timers (tests, bench)."""
    cfg = ClientConfig(url=url, token=token_source(p), auth=p.auth,
                       ping_interval=p.ping_interval or None, auto_reconnect=p.auto_reconnect, **overrides)
    cfg.validate()
    return cfg


class ConnectionTab(QWidget):
    message = Signal(str)  # status-bar text
    state_changed = Signal(object)  # StateChanged, for the tab title
    save_subscriptions = Signal(str, object)  # profile name, list[Subscription]

    def __init__(self, profile: Profile, url: str, conn_id: str, tasks: Tasks, parent: QWidget | None = None,
                 **config_overrides):
        super().__init__(parent)
        self.profile = profile
        self.conn_id = conn_id
        self.tasks = tasks
        self.url = url
        self.client = RealtimeClient(client_config(profile, url, **config_overrides), conn_id=conn_id)
        for sub in profile.subscriptions:
            self.client.subscribe(sub.topic, sub.filter)

        self.title = QLabel(f"<b>{conn_id}</b> · {profile.name} · {redact_url(url)}")
        self.title.setWordWrap(True)
        self.cleartext_warning = QLabel(cleartext_token_warning(url) or "")
        self.cleartext_warning.setObjectName("cleartextWarning")
        self.cleartext_warning.setWordWrap(True)
        self.cleartext_warning.setStyleSheet("color: #b45309; font-weight: bold")
        self.cleartext_warning.setVisible(bool(self.cleartext_warning.text()))
        self.state_view = StateView()
        self.counters = QLabel()
        self.ping_button = QPushButton("Ping now")
        self.save_button = QPushButton("Save subscriptions to profile")
        self.save_button.setToolTip("Subscribe to these topics with these filters whenever this profile connects")
        self.editor = SubscriptionEditor()
        self._editor_frames = self.editor.ingest_frames
        row = QHBoxLayout()
        row.addWidget(self.counters, 1)
        row.addWidget(self.ping_button)
        row.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.cleartext_warning)
        layout.addWidget(self.state_view)
        layout.addLayout(row)
        layout.addWidget(self.editor, 1)

        self.state_view.reconnect_requested.connect(self.reconnect_now)
        self.state_view.disconnect_requested.connect(self.disconnect_now)
        self.ping_button.clicked.connect(self.ping_now)
        self.save_button.clicked.connect(self._save_subscriptions)
        self.editor.subscribe_requested.connect(self.subscribe)
        self.editor.unsubscribe_requested.connect(self.unsubscribe)
        self.client.add_batch_listener(self._on_batch)
        # The subscriptions queued above were emitted before we listened: show them.
        for topic, info in self.client.subscriptions.items():
            self.editor.ingest(SubscriptionChanged(conn_id, 0.0, topic, info.state, info.filter))

        self._counter_timer = QTimer(self)
        self._counter_timer.setInterval(1000)
        self._counter_timer.timeout.connect(self._update_counters)
        self._counter_timer.start()
        self._update_counters()

    # ------------------------------------------------------------ events
    def add_sinks(self, on_frame, on_other) -> None:
        """Also feed ``on_frame(FrameSeen)`` and ``on_other(any other event)``."""
        self._frame_sinks = self._frame_sinks + (on_frame,)
        self._other_sinks = self._other_sinks + (on_other,)

    def add_batch_sinks(self, on_frames, on_other) -> None:
        """Also feed ``on_frames(list[FrameSeen])`` and ``on_other(any other event)``: frames
        come in the client's batches, so a flood costs a consumer one call per batch."""
        self._batch_sinks = self._batch_sinks + (on_frames,)
        self._other_sinks = self._other_sinks + (on_other,)

    def add_event_sink(self, fn) -> None:
        """Feed ``fn`` every event except frames (a recorder, which takes frames from the log)."""
        self._other_sinks = self._other_sinks + (fn,)

    def remove_event_sink(self, fn) -> None:
        self._other_sinks = tuple(f for f in self._other_sinks if f != fn)

    _frame_sinks: tuple = ()
    _batch_sinks: tuple = ()
    _other_sinks: tuple = ()

    def _on_batch(self, frames: list[FrameSeen], event) -> None:
        """The client's batch: received frames, then the event after them (or None)."""
        if frames:
            self._on_frames(frames)
        if event is not None:
            self._on_event(event)

    def _on_frames(self, frames: list[FrameSeen]) -> None:
        for fn in self._batch_sinks:
            fn(frames)
        for fn in self._frame_sinks:
            for ev in frames:
                fn(ev)
        self._editor_frames(frames)

    def _on_event(self, ev) -> None:
        cls = type(ev)
        if cls is FrameSeen:  # one the client sent, or a text frame
            self._on_frames([ev])
            return
        for fn in self._other_sinks:
            fn(ev)
        if cls is StateChanged:
            self.state_view.ingest(ev)
            self.state_changed.emit(ev)
        elif cls is SubscriptionChanged:
            self.editor.ingest(ev)

    def _update_counters(self) -> None:
        s = self.client.stats
        rtt = f"{s.last_rtt * 1000:.1f} ms" if s.last_rtt is not None else "—"
        self.counters.setText(f"in {s.frames_in:,} frames · out {s.frames_out:,} · "
                              f"connects {s.connects} · last RTT {rtt}")

    # ------------------------------------------------------------ actions
    def start(self) -> None:
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

    def unsubscribe(self, topic: str) -> None:
        try:
            self.client.unsubscribe(topic)
        except TopicError as exc:
            self.message.emit(f"{self.conn_id}: {exc}")

    def current_subscriptions(self) -> list[Subscription]:
        """The subscriptions worth keeping (failed ones are left out)."""
        return [Subscription(topic, info.filter) for topic, info in self.client.subscriptions.items()
                if info.state is not SubState.FAILED]

    def _save_subscriptions(self) -> None:
        self.save_subscriptions.emit(self.profile.name, self.current_subscriptions())

    @property
    def is_open(self) -> bool:
        return self.client.state is State.OPEN
