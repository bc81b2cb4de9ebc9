"""The embedded mock server panel: start/stop, URL, clients, publish form, demo
traffic and fault buttons.

The server runs on its own loop in a thread (MockServerThread) so a flood never
starves the UI. Every call into it goes through a worker thread
(``run_in_executor``), so a slow close never blocks the Qt event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable
from operator import methodcaller
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.closecodes import GOING_AWAY
from inspector.protocol.topics import topic_error
from inspector.qt.aio import Tasks
from inspector.qt.flow_layout import FlowLayout
from inspector.qt.table_cells import set_row

if TYPE_CHECKING:  # the server (websockets) and its certificates load when it first starts
    from inspector.mock.certs import SelfSigned
    from inspector.mock.server import MockConfig, MockServer
    from inspector.mock.thread import MockServerThread

CLIENT_COLUMNS = ("Member", "Token", "Subscriptions", "In", "Out", "Queued", "Connected")


def _flow(*widgets: QWidget) -> FlowLayout:
    flow = FlowLayout()
    for w in widgets:
        flow.addWidget(w)
    return flow


def _publish_many(server: MockServer, topic: str, data: Any, count: int) -> tuple[int, int]:
    delivered = seq = 0
    for _ in range(count):
        delivered, seq = server.publish(topic, data)
    return delivered, seq


TLS_TIP = ("Serve wss:// with a throwaway certificate for 127.0.0.1 and localhost (as `mock --tls-self-signed`); "
           "embedded-mock profiles trust its CA")
# why the switch is greyed out while the server runs
TLS_LOCKED = "TLS switches only while the server is stopped: its URL changes between ws:// and wss://."

class MockPanel(QWidget):
    started = Signal(str)   # realtime URL
    stopped = Signal()
    message = Signal(str)   # status-bar text

    def __init__(self, tasks: Tasks, config: MockConfig | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.tasks = tasks
        self._base_config = config
        self.server_thread: MockServerThread | None = None
        self.last_stats: dict[str, Any] | None = None
        self._stats_busy = False
        self._publish_carry = 0.0
        self._publish_last = 0.0

        # --- server
        self.port_spin = QSpinBox()
        self.port_spin.setRange(0, 65535)
        self.port_spin.setSpecialValueText("any free port")
        self.port_spin.setValue(config.port if config is not None else 0)  # 0: MockConfig's default
        self.start_button = QPushButton("Start")
        self.url_edit = QLineEdit()
        self.url_edit.setReadOnly(True)
        self.copy_button = QPushButton("Copy URL")
        self.demo_check = QCheckBox("Demo traffic")
        self.tls_check = QCheckBox("TLS (self-signed)")
        self.tls_check.setToolTip(TLS_TIP)
        self.tls_label = QLabel()
        self.tls_label.setObjectName("mockTlsLabel")
        self.tls_label.setWordWrap(True)
        self.tls_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tls_label.hide()
        self._tls: SelfSigned | None = None  # made once per panel: restarts keep the CA connections trust
        self.stats_label = QLabel("stopped")
        self.stats_label.setWordWrap(True)
        server_box = QGroupBox("Server")
        sv = QVBoxLayout(server_box)
        port_row = QHBoxLayout()
        port_row.addWidget(QLabel("Port"))
        port_row.addWidget(self.port_spin, 1)
        sv.addLayout(port_row)
        sv.addWidget(self.url_edit)
        sv.addLayout(_flow(self.start_button, self.copy_button))
        sv.addLayout(_flow(self.demo_check, self.tls_check))
        sv.addWidget(self.tls_label)
        sv.addWidget(self.stats_label)

        # --- clients
        self.clients_table = QTableWidget(0, len(CLIENT_COLUMNS))
        self.clients_table.setHorizontalHeaderLabels(CLIENT_COLUMNS)
        self.clients_table.verticalHeader().hide()
        self.clients_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Subscriptions is what people look for: shown second and wide enough to read; the
        # counts are narrow and the table scrolls sideways in a narrow column
        hh = self.clients_table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        hh.moveSection(CLIENT_COLUMNS.index("Subscriptions"), 1)
        chars = self.fontMetrics().averageCharWidth()
        for col, name in enumerate(CLIENT_COLUMNS):
            wide = {"Subscriptions": 26, "Member": 10, "Token": 10}.get(name, max(7, len(name) + 2))
            self.clients_table.setColumnWidth(col, wide * chars + 12)

        # --- publish
        self.topic_edit = QLineEdit("orders.eu")
        self.data_edit = QLineEdit('{"id": "o-1", "total": 250, "region": "eu"}')
        self.publish_error = QLabel()
        self.publish_error.setStyleSheet("color: #d33;")
        self.publish_button = QPushButton("Publish once")
        self.rate_spin = QDoubleSpinBox()
        self.rate_spin.setRange(0.1, 100000.0)
        self.rate_spin.setValue(10.0)
        self.rate_spin.setSuffix(" /s")
        self.repeat_button = QPushButton("Publish repeatedly")
        self.repeat_button.setCheckable(True)
        self.publish_error.setWordWrap(True)
        publish_box = QGroupBox("Publish")
        f = QFormLayout(publish_box)
        f.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        f.addRow("Topic", self.topic_edit)
        f.addRow("Data (JSON)", self.data_edit)
        f.addRow(self.publish_error)
        f.addRow("Rate", self.rate_spin)
        f.addRow(_flow(self.publish_button, self.repeat_button))

        # --- faults
        self.restart_button = QPushButton("Restart (1001)")
        self.expire_button = QPushButton("Expire tokens (4401)")
        self.internal_button = QPushButton("Internal error (1011)")
        self.pongs_check = QCheckBox("Stop answering pings")
        self.latency_spin = QSpinBox()
        self.latency_spin.setRange(0, 10000)
        self.latency_spin.setSuffix(" ms added latency")
        faults_box = QGroupBox("Faults")
        fv = QVBoxLayout(faults_box)
        # a flow, not a grid: the panel shares a narrow column with the profiles
        fv.addLayout(_flow(self.restart_button, self.expire_button, self.internal_button))
        fv.addWidget(self.pongs_check)
        fv.addWidget(self.latency_spin)

        layout = QVBoxLayout(self)
        layout.addWidget(server_box)
        layout.addWidget(QLabel("Connected clients"))
        layout.addWidget(self.clients_table, 1)
        layout.addWidget(publish_box)
        layout.addWidget(faults_box)

        self.start_button.clicked.connect(self._toggle_server)
        self.copy_button.clicked.connect(self.copy_url)
        self.demo_check.toggled.connect(self.set_demo)
        self.topic_edit.textChanged.connect(self._validate_publish)
        self.data_edit.textChanged.connect(self._validate_publish)
        self.publish_button.clicked.connect(self.publish_once)
        self.repeat_button.toggled.connect(self._toggle_repeat)
        self.restart_button.clicked.connect(lambda: self._fault("close_all", GOING_AWAY, "server restart"))
        self.expire_button.clicked.connect(lambda: self._fault("expire_tokens"))
        self.internal_button.clicked.connect(lambda: self._fault("internal_error"))
        self.pongs_check.toggled.connect(self._set_pongs)
        self.latency_spin.valueChanged.connect(self._set_latency)

        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(1000)
        self._stats_timer.timeout.connect(self.refresh_stats)
        self._repeat_timer = QTimer(self)
        self._repeat_timer.timeout.connect(self._repeat_tick)
        self._update_running()
        self._validate_publish()

    # ------------------------------------------------------------ lifecycle
    def _running_thread(self) -> MockServerThread | None:
        thread = self.server_thread
        return thread if thread is not None and thread.running else None

    @property
    def running(self) -> bool:
        return self._running_thread() is not None

    @property
    def url(self) -> str | None:
        thread = self._running_thread()
        return thread.url if thread is not None else None

    @property
    def ca_file(self) -> str | None:
        """The CA file of the running server's throwaway certificate (TLS on), for clients to trust."""
        thread = self._running_thread()
        if thread is None or thread.server.config.ssl_context is None or self._tls is None:
            return None
        return str(self._tls.ca_file)

    def _self_signed(self) -> SelfSigned:
        if self._tls is None:
            folder = tempfile.mkdtemp(prefix="realtime-inspector-mock-tls-")
            weakref.finalize(self, shutil.rmtree, folder, True)  # the key goes with the panel
            from inspector.mock.certs import self_signed  # cryptography loads when TLS is first on
            self._tls = self_signed(folder)
        return self._tls

    @property
    def base_config(self) -> MockConfig:
        if self._base_config is None:
            from inspector.mock.server import MockConfig
            self._base_config = MockConfig()
        return self._base_config

    def start_server(self, demo: bool | None = None) -> str:
        """Start listening (blocks only for the bind, a few ms). Returns the URL."""
        running = self._running_thread()
        if running is not None:
            return running.url
        overrides: dict[str, Any] = {"port": self.port_spin.value()}
        if self.tls_check.isChecked():
            tls = self._self_signed()
            from inspector.mock.certs import server_context
            overrides["ssl_context"] = server_context(tls.cert_file, tls.key_file)
        from inspector.mock.server import MockConfig
        from inspector.mock.thread import MockServerThread
        cfg = MockConfig(**{**self.base_config.__dict__, **overrides})
        thread = MockServerThread(cfg)
        try:
            url = thread.start()
        except OSError as exc:
            self.message.emit(f"mock server: cannot listen on port {cfg.port}: {exc.strerror or exc}")
            raise
        self.server_thread = thread
        # keep the port: a restart from the panel then gives connections the same URL back
        if thread.port is not None:
            self.port_spin.setValue(thread.port)
        self.url_edit.setText(url)
        if demo is not None:
            self.demo_check.blockSignals(True)
            self.demo_check.setChecked(demo)
            self.demo_check.blockSignals(False)
        if self.demo_check.isChecked():
            thread.call(thread.server.start_demo)
        self._apply_faults()
        self._stats_timer.start()
        self._update_running()
        self.started.emit(url)
        ca = self.ca_file
        self.message.emit(f"mock server listening on {url}" + (f"; its CA file: {ca}" if ca else ""))
        return url

    def stop_server(self) -> None:
        """Stop (closes connections with 1001). Blocks up to the close timeout: call via stop_async in slots."""
        thread, self.server_thread = self.server_thread, None
        self._stats_timer.stop()
        self.repeat_button.setChecked(False)
        if thread is not None:
            thread.stop()
        self._update_running()
        self.stopped.emit()

    async def stop_async(self) -> None:
        thread, self.server_thread = self.server_thread, None
        self._stats_timer.stop()
        self.repeat_button.setChecked(False)
        if thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, thread.stop)
        self._update_running()
        self.stopped.emit()
        self.message.emit("mock server stopped")

    def _toggle_server(self) -> None:
        if self.running:
            self.tasks.spawn(self.stop_async(), name="stop mock server")
        else:
            with contextlib.suppress(OSError):
                self.start_server()

    def _update_running(self) -> None:
        on = self.running
        self.start_button.setText("Stop" if on else "Start")
        self.port_spin.setEnabled(not on)
        self.tls_check.setEnabled(not on)
        self.tls_check.setToolTip(f"{TLS_TIP}\n\n{TLS_LOCKED}" if on else TLS_TIP)
        ca = self.ca_file
        label = (f"wss:// with a throwaway CA: embedded-mock profiles trust it; other clients: --cacert {ca}"
                 if ca else TLS_LOCKED if on else "")
        self.tls_label.setText(label)
        self.tls_label.setVisible(bool(label))
        for w in (self.copy_button, self.publish_button, self.repeat_button, self.restart_button,
                  self.expire_button, self.internal_button):
            w.setEnabled(on)
        if not on:
            self.url_edit.setText("")
            self.stats_label.setText("stopped")
            self.clients_table.setRowCount(0)
        else:
            self._validate_publish()

    def copy_url(self) -> None:
        if self.url:
            QGuiApplication.clipboard().setText(self.url)
            self.message.emit("mock URL copied")

    # ------------------------------------------------------------ calls into the server thread
    async def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(server, *args)`` in the server's thread, for the server running now."""
        thread = self._running_thread()
        if thread is None:
            raise RuntimeError("the mock server is not running")
        server = thread.server
        return await asyncio.get_running_loop().run_in_executor(None, lambda: thread.call(fn, server, *args))

    def _call_server(self, name: str, *args: Any) -> asyncio.Task[Any] | None:
        if not self.running:
            return None
        return self.tasks.spawn(self._call(methodcaller(name, *args)), name=f"mock {name}")

    def set_demo(self, on: bool) -> None:
        self._call_server("start_demo" if on else "stop_demo")

    def _fault(self, name: str, *args: Any) -> None:
        async def run() -> None:
            n = await self._call(methodcaller(name, *args))
            self.message.emit(f"mock server: {name.replace('_', ' ')} closed {n} connection(s)")
        if self.running:
            self.tasks.spawn(run(), name=f"mock {name}")

    def _apply_faults(self) -> None:
        thread = self._running_thread()
        if thread is not None:
            server = thread.server
            server.answer_pings = not self.pongs_check.isChecked()  # plain attributes: safe to set
            server.latency = self.latency_spin.value() / 1000.0

    def _set_pongs(self, _on: bool) -> None:
        self._apply_faults()

    def _set_latency(self, _ms: int) -> None:
        self._apply_faults()

    # ------------------------------------------------------------ stats
    def refresh_stats(self) -> None:
        if not self.running or self._stats_busy:
            return
        self._stats_busy = True

        async def run() -> None:
            from inspector.mock.server import MockServer  # loaded: the server runs
            try:
                stats = await self._call(MockServer.stats)
            except (RuntimeError, TimeoutError, concurrent.futures.TimeoutError):
                return  # stopped meanwhile, or busy: the next tick tries again
            finally:
                self._stats_busy = False
            self.show_stats(stats)
        self.tasks.spawn(run(), name="mock stats")

    def show_stats(self, stats: dict[str, Any]) -> None:
        self.last_stats = stats
        self.stats_label.setText(
            f"{stats['connections']} connection(s) · {stats['subscriptions']} subscription(s) · "
            f"{stats['topics']} topic(s) · frames in {stats['frames_in']:,} / out {stats['frames_out']:,}"
            + (" · demo on" if stats.get("demo") else ""))
        rows = stats.get("per_connection", [])
        t = self.clients_table
        t.setRowCount(len(rows))
        for i, c in enumerate(rows):
            subs = ", ".join(f"{k}[{v}]" if v else k for k, v in c["subscriptions"].items())
            values = (c["member"], c["token"], subs, f"{c['frames_in']:,}", f"{c['frames_out']:,}",
                      f"{c['queued']:,}", f"{c['connected_for']:.0f} s")
            set_row(t, i, values)

    # ------------------------------------------------------------ publish
    def _parsed_publish(self) -> tuple[str, Any]:
        """(topic, data: a JSON value) or raises ValueError with a message for the form."""
        topic = self.topic_edit.text()
        err = topic_error(topic)
        if err:
            raise ValueError(f"topic: {err}")
        try:
            data = json.loads(self.data_edit.text())
        except ValueError as exc:
            raise ValueError(f"data is not JSON: {exc}") from None
        return topic, data

    def _validate_publish(self) -> bool:
        try:
            self._parsed_publish()
        except ValueError as exc:
            self.publish_error.setText(str(exc))
            ok = False
        else:
            self.publish_error.setText("")
            ok = True
        self.publish_button.setEnabled(ok and self.running)
        self.repeat_button.setEnabled((ok and self.running) or self.repeat_button.isChecked())
        return ok

    def publish_once(self) -> None:
        try:
            topic, data = self._parsed_publish()
        except ValueError as exc:
            self.publish_error.setText(str(exc))
            return

        async def run() -> None:
            from inspector.mock.server import MockServer  # loaded: the server runs
            delivered, seq = await self._call(MockServer.publish, topic, data)
            self.message.emit(f"published {topic} seq {seq} to {delivered} connection(s)")
        if self.running:
            self.tasks.spawn(run(), name="mock publish")

    def _toggle_repeat(self, on: bool) -> None:
        if on:
            if not self._validate_publish():
                self.repeat_button.setChecked(False)
                return
            rate = self.rate_spin.value()
            self._repeat_timer.setInterval(max(20, int(1000 / rate)))
            self._publish_carry = 0.0
            self._publish_last = time.monotonic()
            self._repeat_timer.start()
            self.repeat_button.setText("Stop publishing")
        else:
            self._repeat_timer.stop()
            self.repeat_button.setText("Publish repeatedly")

    def _repeat_tick(self) -> None:
        """Publish rate × elapsed events per tick (timers run late; keep the average)."""
        if not self.running:
            self.repeat_button.setChecked(False)
            return
        now = time.monotonic()
        self._publish_carry += (now - self._publish_last) * self.rate_spin.value()
        self._publish_last = now
        count = int(self._publish_carry)
        if count <= 0:
            return
        self._publish_carry -= count
        try:
            topic, data = self._parsed_publish()
        except ValueError:
            self.repeat_button.setChecked(False)
            return
        self._call_server_fn(_publish_many, topic, data, count)

    def _call_server_fn(self, fn: Callable[..., Any], *args: Any) -> None:
        self.tasks.spawn(self._call(fn, *args), name="mock publish")
