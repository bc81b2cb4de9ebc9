"""A Proxy profile's tab: the proxy it runs (on its own thread), the client↔server pairs, the
faults bar, breakpoints and their held frames, the inject composer and the rules.

Frames go to the app's log as connections named ``p1``, ``p2``, ... (one per pair): what the
client sent is OUT (→, client → server), what the server sent IN (←, server → client); the
log's connection filter is the pair filter.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from inspector.mock.listener_tls import ListenerTls, ListenerTlsError, listener_context
from inspector.profiles import Profile, ProfileError
from inspector.protocol.events import IN, OUT, FrameSeen
from inspector.proxy.pair_names import pair_index
from inspector.proxy.rule_text import RuleError, parse_rule
from inspector.proxy.server import ProxyConfig
from inspector.proxy.upstream import Upstream
from inspector.qt.proxy import proxy_ops
from inspector.qt.proxy.faults_bar import FaultsBar
from inspector.qt.proxy.held_queue import BreakpointForm, HeldQueue
from inspector.qt.proxy.inject_composer import InjectComposer
from inspector.qt.proxy.proxy_thread import ProxyBridge, ProxyThread, conn_name
from inspector.qt.proxy.rules_list import RulesList
from inspector.qt.table_cells import set_row
from inspector.recording.format import RecordingError

# pair notes that change its state; others (held, held_discarded, truncated) do not
_STATES = frozenset({"upgrade", "open", "closed", "upstream_failed", "upstream_refused", "refused", "handshake_fault"})
PAIR_COLUMNS = ("Pair", "Client", "Upstream", "State", "client → server", "server → client")
PAIRS_REFRESH_MS = 100  # the pairs table follows the traffic at most ten times a second


_NUMBERS_IN_USE: set[int] = set()  # of the proxy tabs running: each names its pairs by its number


def _take_number() -> int:
    number = 1
    while number in _NUMBERS_IN_USE:
        number += 1
    _NUMBERS_IN_USE.add(number)
    return number


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.strip().rpartition(":")
    if not host or not port.isdigit():
        raise ProfileError(f"listen address {listen!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


class ProxyTab(QWidget):
    frames = Signal(object)  # list[FrameSeen], for the log
    message = Signal(str)
    save_rules = Signal(str, object)  # profile name, its rule lines

    def __init__(self, profile: Profile, upstream_url: str, key_password: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # the first running proxy's pairs are p1, p2, ...; a second's, beside it, p2.1, p2.2, ...
        self.number = 1
        self.profile = profile
        self._key_password = key_password  # the upstream client key's, when it is encrypted
        self.upstream_url = upstream_url
        self.bridge = ProxyBridge(self)
        self.proxy_thread: ProxyThread | None = None
        self.pairs: dict[int, dict[str, Any]] = {}
        self.pair_refreshes = 0  # times the pairs table was redrawn (it follows a timer, not the traffic)
        self._pairs_changed = False
        self._open_changed = False
        self._pairs_timer = QTimer(self)
        self._pairs_timer.setInterval(PAIRS_REFRESH_MS)
        self._pairs_timer.timeout.connect(self._refresh_pairs)
        self.recording: str | None = None  # the file both sides are recorded to
        self.scheme = "ws"
        self.rules: list[tuple[int, str]] = []
        self._next_rule_id = 1
        for text in profile.rules:
            self._add_rule(text)
        self.header = QLabel()
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.record_button = QPushButton("Record both sides…")
        self.record_button.setToolTip("Keep every pair's frames, both directions, in a recording file")
        self.pair_table = QTableWidget(0, len(PAIR_COLUMNS))
        self.pair_table.setHorizontalHeaderLabels(PAIR_COLUMNS)
        self.pair_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.pair_table.verticalHeader().hide()
        self.pair_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.pair_table.horizontalHeader().setStretchLastSection(True)
        self.faults = FaultsBar()
        self.breakpoints = BreakpointForm()
        self.held = HeldQueue()
        self.composer = InjectComposer()
        self.rules_list = RulesList()
        self._build()
        self._wire()
        self._show_rules()
        self._show_state()

    def _build(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.record_button)
        top.addWidget(self.start_button)
        top.addWidget(self.stop_button)
        held_page = QWidget()
        held_layout = QVBoxLayout(held_page)
        held_layout.addWidget(self.breakpoints)
        held_layout.addWidget(self.held, 1)
        inject_page = QWidget()
        inject_layout = QVBoxLayout(inject_page)
        inject_layout.addWidget(self.composer)
        inject_layout.addStretch(1)
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.pages.addTab(held_page, "Breakpoints")
        self.pages.addTab(inject_page, "Inject")
        self.pages.addTab(self.rules_list, "Rules")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.pair_table)
        split.addWidget(self.pages)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.faults)
        layout.addWidget(split, 1)

    def _wire(self) -> None:
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.record_button.clicked.connect(self._record_clicked)
        self.bridge.frames.connect(self._frames)
        self.bridge.note.connect(self._note)
        self.bridge.held_added.connect(self.held.add_held)
        self.bridge.held_gone.connect(self.held.remove_held)
        self.bridge.discarded.connect(self.held.mark_discarded)
        self.bridge.recording_failed.connect(self._recording_failed)
        self.faults.rule.connect(self.add_rule)
        self.faults.close_side.connect(lambda side, code, conn: self.close_side(side, code, conn))
        self.breakpoints.add.connect(self.add_rule)
        self.held.forward.connect(lambda i, payload: self._on_proxy(self._held().forward, i, None, payload))
        self.held.drop.connect(lambda i: self._on_proxy(self._held().drop, i))
        self.held.forward_all.connect(lambda: self._on_proxy(self._held().forward_all))
        self.held.problem.connect(self.message)
        self.composer.inject.connect(self.inject)
        self.composer.problem.connect(self.message)
        self.rules_list.add.connect(self.add_rule)
        self.rules_list.remove.connect(self.remove_rule)
        self.rules_list.replace.connect(self.replace_rule)
        self.rules_list.save.connect(lambda: self.save_rules.emit(self.profile.name, [t for _, t in self.rules]))

    # ------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        return self.proxy_thread is not None and self.proxy_thread.running

    def start(self) -> str | None:
        """Listen; the listen address, or None (said why)."""
        if self.running:
            return None
        try:
            host, port = split_listen(self.profile.listen)
            upstream = Upstream.make(self.upstream_url, self.profile.connect_options(self._key_password))
            rules = [parse_rule(text, f"rule {i}", i) for i, text in self.rules]
        except (ProfileError, RuleError, ValueError, OSError) as exc:
            self.message.emit(f"cannot start the proxy: {exc}")
            return None
        p = self.profile
        try:
            tls = listener_context(ListenerTls(p.listen_cert or None, p.listen_key or None, p.listen_self_signed),
                                   "realtime-inspector-proxy-tls-")
        except ListenerTlsError as exc:
            self.message.emit(f"cannot start the proxy: {exc}")
            return None
        config = ProxyConfig(upstream, host, port, ssl_context=tls.context if tls else None, rules=rules)
        self.number = self.held.proxy = self.faults.proxy = _take_number()
        self.proxy_thread = ProxyThread(config, self.bridge, self.number)
        try:
            listen = self.proxy_thread.start()
        except OSError as exc:
            _NUMBERS_IN_USE.discard(self.number)
            self.proxy_thread = None
            self.message.emit(f"cannot listen on {self.profile.listen}: {exc}")
            return None
        self.scheme = "wss" if tls else "ws"
        self._pairs_timer.start()
        self._show_state()
        trust = f"; clients trust its self-signed certificate with the CA file {tls.ca_file}" \
            if tls and tls.ca_file else ""
        self.message.emit(f"proxy listening on {self.scheme}://{listen}, upstream {self.upstream_url}{trust}")
        return listen

    def stop(self) -> None:
        if self.proxy_thread is not None:
            self.proxy_thread.stop()  # ends the recording too
            self.proxy_thread = None
            _NUMBERS_IN_USE.discard(self.number)
        self._stopped()

    def _stopped(self) -> None:
        self.recording = None
        self._pairs_timer.stop()
        self._refresh_pairs()
        self._show_state()

    async def stop_async(self) -> None:
        """``stop`` with the thread joined off the GUI thread (it may wait for connections to close)."""
        thread, self.proxy_thread = self.proxy_thread, None
        if thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, thread.stop)
        self._stopped()

    @property
    def listen(self) -> str:
        return self.proxy_thread.server.listen if self.proxy_thread is not None else self.profile.listen

    def _show_state(self) -> None:
        state = f"listening on <b>{self.scheme}://{self.listen}</b>" if self.running else "stopped"
        recording = f"; recording to {self.recording}" if self.recording else ""
        self.header.setText(f"Proxy <b>{self.profile.name}</b>: {state} → upstream {self.upstream_url}{recording}")
        self.start_button.setEnabled(not self.running)
        self.stop_button.setEnabled(self.running)
        self.record_button.setEnabled(self.running)
        self.record_button.setText("Stop recording" if self.recording else "Record both sides…")

    def _held(self) -> Any:
        assert self.proxy_thread is not None
        return self.proxy_thread.server.held

    def _on_proxy(self, fn: Any, *args: Any) -> Any:
        """``fn`` on the proxy's loop; None (said why) when the proxy is not running."""
        if self.proxy_thread is None or not self.running:
            self.message.emit("the proxy is not running")
            return None
        return self.proxy_thread.call(fn, *args)

    # ------------------------------------------------------------ what the proxy saw
    def _frames(self, frames: list[FrameSeen]) -> None:
        for f in frames:
            pair = self.pairs.get(pair_index(f.conn))
            if pair is not None:
                pair["c2s" if f.direction == OUT else "s2c"] += 1
        self._pairs_changed = True
        self.frames.emit(frames)

    def _note(self, conn: str, event: str, fields: dict[str, Any]) -> None:
        index = pair_index(conn)
        pair = self.pairs.setdefault(index, {"client": fields.get("client", ""), "upstream": fields.get("upstream", ""),
                                             "state": event, "c2s": 0, "s2c": 0})
        if event in _STATES:
            pair["state"] = event
        if event in ("open", "closed"):
            self._open_changed = True
        self._pairs_changed = True

    def _refresh_pairs(self) -> None:
        """The pairs table and the lists of open pairs, when something changed since the last time."""
        if self._open_changed:
            self._open_changed = False
            open_pairs = [i for i, p in self.pairs.items() if p["state"] == "open"]
            self.composer.set_pairs(open_pairs)
            self.faults.set_pairs(open_pairs)
        if not self._pairs_changed:
            return
        self._pairs_changed = False
        self.pair_refreshes += 1
        table = self.pair_table
        table.setRowCount(len(self.pairs))
        for row, (index, p) in enumerate(sorted(self.pairs.items())):
            cells = (conn_name(index, self.number), p["client"], p["upstream"], p["state"], str(p["c2s"]),
                     str(p["s2c"]))
            set_row(table, row, cells)

    # ------------------------------------------------------------ actions
    def inject(self, conn: int, to_server: bool, opcode: int, payload: bytes) -> None:
        server = self.proxy_thread.server if self.proxy_thread is not None else None
        if self._on_proxy(proxy_ops.inject, server, conn, to_server, opcode, payload):
            self.frames.emit([FrameSeen(conn_name(conn, self.number), time.time(), OUT if to_server else IN, payload,
                                        text=opcode == 1)])
            self.message.emit(f"injected {len(payload)} bytes {'to the server' if to_server else 'to the client'}")

    def _record_clicked(self) -> None:
        if self.recording:
            self.stop_recording()
            return
        path, _ = QFileDialog.getSaveFileName(self, "Record both sides to", f"{self.profile.name}.rirec",
                                              "Recordings (*.rirec)")
        if path:
            self.start_recording(path)

    def start_recording(self, path: str) -> bool:
        """Keep every pair's frames, both directions, in the recording ``path`` (as ``proxy --record``)."""
        if self.proxy_thread is None or not self.running:
            self.message.emit("the proxy is not running")
            return False
        try:
            self.proxy_thread.call(self.proxy_thread.record_to, path, self.upstream_url)
        except RecordingError as exc:
            self.message.emit(str(exc))
            return False
        self.recording = path
        self._show_state()
        self.message.emit(f"recording both sides of every pair to {path}")
        return True

    def _recording_failed(self, why: str) -> None:
        self.recording = None
        self._show_state()
        self.message.emit(f"the recording stopped: {why}")

    def stop_recording(self) -> None:
        if self.proxy_thread is not None and self.recording:
            self.proxy_thread.call(self.proxy_thread.record_to, None, self.upstream_url)
            self.message.emit(f"recorded both sides to {self.recording}")
        self.recording = None
        self._show_state()

    def close_side(self, side: str, code: int, conn: int | None = None) -> None:
        server = self.proxy_thread.server if self.proxy_thread is not None else None
        count = self._on_proxy(proxy_ops.close_side, server, conn, side, code, "closed from the inspector")
        if count is not None:
            which = f"pair {conn_name(conn, self.number)}" if conn is not None else f"{count} pair(s)"
            self.message.emit(f"closed the {side} side of {which} with {code}")

    def _add_rule(self, text: str) -> None:
        self.rules.append((self._next_rule_id, text))
        self._next_rule_id += 1

    def add_rule(self, text: str) -> bool:
        try:
            parse_rule(text, "rule")
        except RuleError as exc:
            self.message.emit(str(exc))
            return False
        if self.running:
            assert self.proxy_thread is not None
            rule = self.proxy_thread.call(proxy_ops.add_rule, self.proxy_thread.server, text)
            self.rules.append((rule.id, text))
            self._next_rule_id = max(self._next_rule_id, rule.id + 1)
        else:
            self._add_rule(text)
        self._show_rules()
        return True

    def remove_rule(self, rule_id: int) -> None:
        if self.running:
            assert self.proxy_thread is not None
            self.proxy_thread.call(proxy_ops.remove_rule, self.proxy_thread.server, rule_id)
        self.rules = [(i, t) for i, t in self.rules if i != rule_id]
        self._show_rules()

    def replace_rule(self, rule_id: int, text: str) -> None:
        if self.add_rule(text):
            self.remove_rule(rule_id)

    def _show_rules(self) -> None:
        self.rules_list.set_rules(self.rules)


def open_proxy_tab(profile: Profile, upstream_url: str, tabs: QTabWidget, log: Any, message: Any,
                   save_rules: Any, key_password: str | None = None) -> ProxyTab | None:
    """The main window's hook: a started ProxyTab for ``profile`` in ``tabs`` (None when it could not
    start, said through ``message``); closing its tab stops the proxy."""
    tab = ProxyTab(profile, upstream_url, key_password)
    tab.frames.connect(log)
    tab.message.connect(message)
    tab.save_rules.connect(save_rules)
    if tab.start() is None:
        tab.deleteLater()
        return None
    index = tabs.addTab(tab, f"⇄ {profile.name}")
    tabs.setCurrentIndex(index)

    def close_requested(i: int) -> None:
        if tabs.widget(i) is tab:
            tab.stop()
            tabs.removeTab(i)
            tab.deleteLater()
    tabs.tabCloseRequested.connect(close_requested)
    return tab


async def stop_proxy_tabs_async(tabs: QTabWidget) -> None:
    """Stop every proxy the tabs run, each joined off the GUI thread (the window is closing)."""
    proxies = [tab for tab in map(tabs.widget, range(tabs.count())) if isinstance(tab, ProxyTab)]
    await asyncio.gather(*(tab.stop_async() for tab in proxies))


def stop_proxy_tabs(tabs: QTabWidget) -> None:
    """Stop every proxy the tabs run (the window is closing)."""
    for i in range(tabs.count()):
        tab = tabs.widget(i)
        if isinstance(tab, ProxyTab):
            tab.stop()
