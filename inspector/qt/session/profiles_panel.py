"""Connection manager: the profile list and editor (create, duplicate, rename,
delete, save, connect). The token field is masked; literal tokens are stored
only in the 0600 profile file and never shown elsewhere."""

from __future__ import annotations

import os
import re
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from inspector.profiles import Profile, ProfileError, ProfileStore, Subscription
from inspector.qt.session.connection_options_form import ConnectionOptionsForm
from inspector.qt.session.payload_options_form import PayloadOptionsForm
from inspector.qt.session.wheel_guard import guard_wheel
from inspector.qt.wrapped_label import WrappedLabel

TOKEN_KIND_LABELS = (("literal", "Literal token"), ("env", "Environment variable"), ("command", "Command"))
SEE_FIELD = "Not done: fix the error shown under its field above."


class FieldError(ProfileError):
    """A setting the form shows the error of under its own field."""


def breakable(text: str) -> str:
    """``text`` with places to wrap inside long names (``A_LONG_TOKEN_VARIABLE``, paths): a
    word wider than the column would otherwise be cut at its edge."""
    return re.sub(r"\S{21,}", lambda word: re.sub(r"([_/.=-])(?=\w)", "\\1\u200b", word.group()), text)


def env_note(name: str) -> str:
    """What the environment-variable token source does, and whether it will find a token."""
    if not name:
        return "Name the environment variable that holds the token."
    state = "is set" if os.environ.get(name) else "is NOT set"
    return (f"The token is read from the environment variable {name} when connecting and again after "
            f"a 4401 (auth expired). {name} {state} in this app's environment.")


class ProfileEditor(QWidget):
    """Form for one profile; ``profile()`` builds a validated Profile from it."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._subscriptions: list[Subscription] = []
        self._rules: list[str] = []  # a Proxy profile's rules (edited in its tab)
        self._stored_url = ""  # the profile's own URL, kept while the embedded mock's is shown
        self._mock_url: str | None = None
        self.name_edit = QLineEdit()
        self.profile_kind = QComboBox()  # Client, or Proxy (the URL is then the upstream)
        self.profile_kind.addItem("Client", "client")
        self.profile_kind.addItem("Proxy", "proxy")
        self.listen_edit = QLineEdit()
        self.listen_edit.setPlaceholderText("proxy: listen on 127.0.0.1:9000")
        # proxy: the listener's TLS (clients connect with wss://)
        self.listen_self_signed = QCheckBox("Self-signed wss://")
        self.listen_self_signed.setToolTip("Proxy: clients connect with wss://, to a throwaway certificate for "
                                           "127.0.0.1 and localhost; its CA file is named when the proxy starts")
        self.listen_cert_edit = QLineEdit()
        self.listen_cert_edit.setPlaceholderText("proxy: wss:// with this cert (PEM)")
        self.listen_key_edit = QLineEdit()
        self.listen_key_edit.setPlaceholderText("its private key (PEM)")
        self._listener_fields = (self.listen_edit, self.listen_self_signed, self.listen_cert_edit,
                                 self.listen_key_edit)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("wss://host/api/v2/realtime")
        self.embedded_check = QCheckBox("Embedded mock server")
        self.embedded_check.setToolTip("Connect to the mock server built into the app (the URL is chosen for you)")
        self.kind_combo = QComboBox()
        for key, label in TOKEN_KIND_LABELS:
            self.kind_combo.addItem(label, key)
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("token (stored in the 0600 profile file)")
        self.env_edit = QLineEdit()
        self.env_edit.setPlaceholderText("e.g. RT_TOKEN")
        self.command_edit = QLineEdit()
        self.command_edit.setPlaceholderText("e.g. vault read -field=token secret/rt")
        self.token_stack = QStackedWidget()
        for w in (self.token_edit, self.env_edit, self.command_edit):
            self.token_stack.addWidget(w)
        self.token_note = WrappedLabel()  # wraps in the column it is given, as tall as it needs
        self.token_note.setStyleSheet("color: #888;")
        self.auth_combo = QComboBox()
        self.auth_combo.addItem("Authorization header", "header")
        self.auth_combo.addItem("?token= query parameter", "query")
        self.ping_spin = QDoubleSpinBox()
        self.ping_spin.setRange(0.0, 3600.0)
        self.ping_spin.setDecimals(1)
        self.ping_spin.setSuffix(" s")
        self.ping_spin.setSpecialValueText("off")
        self.reconnect_check = QCheckBox("Reconnect automatically")
        for combo in (self.kind_combo, self.auth_combo):  # the form fits a narrow column
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)

        form = self._form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Name", self.name_edit)
        form.addRow("Kind", self.profile_kind)
        form.addRow("Listen", self.listen_edit)
        form.addRow("", self.listen_self_signed)
        form.addRow("TLS cert", self.listen_cert_edit)
        form.addRow("TLS key", self.listen_key_edit)
        form.addRow("URL", self.url_edit)
        form.addRow("", self.embedded_check)
        form.addRow("Token from", self.kind_combo)
        form.addRow("Token", self.token_stack)
        form.addRow("", self.token_note)
        form.addRow("Send in", self.auth_combo)
        form.addRow("Ping every", self.ping_spin)
        form.addRow("", self.reconnect_check)
        self.options_form = ConnectionOptionsForm()
        form.addRow(self.options_form)
        self.options_form.changed.connect(self.changed)
        self.payload_form = PayloadOptionsForm()
        form.addRow(self.payload_form)
        self.payload_form.changed.connect(self.changed)

        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.profile_kind.currentIndexChanged.connect(self._show_listener)
        self.env_edit.textChanged.connect(self._kind_changed)
        self.embedded_check.toggled.connect(self._embedded_toggled)
        self.url_edit.textEdited.connect(self._url_edited)
        for sig in (self.name_edit.textEdited, self.url_edit.textEdited, self.token_edit.textEdited,
                    self.env_edit.textEdited, self.command_edit.textEdited,
                    self.kind_combo.currentIndexChanged, self.auth_combo.currentIndexChanged,
                    self.ping_spin.valueChanged, self.reconnect_check.toggled, self.embedded_check.toggled,
                    self.profile_kind.currentIndexChanged, self.listen_edit.textEdited,
                    self.listen_self_signed.toggled, self.listen_cert_edit.textEdited,
                    self.listen_key_edit.textEdited):
            sig.connect(self.changed)
        self._kind_changed()
        self._show_listener()
        guard_wheel(self)

    def _show_listener(self) -> None:
        """The listener's rows only for a Proxy profile: a Client profile's form shows nothing it cannot use."""
        proxy = self.profile_kind.currentData() == "proxy"
        for w in self._listener_fields:
            self._form.setRowVisible(w, proxy)

    def _kind_changed(self) -> None:
        kind = self.kind_combo.currentData()
        self.token_stack.setCurrentIndex([k for k, _ in TOKEN_KIND_LABELS].index(kind))
        self.token_note.setText(breakable({
            "literal": "A literal token is saved in the profile file (readable only by you, mode 0600). "
                       "Prefer an environment variable or a command.",
            "env": env_note(self.env_edit.text().strip()),
            "command": "Run when connecting and again after a 4401; its output is the token.",
        }[kind]))

    # ------------------------------------------------------------ URL
    def set_mock_url(self, url: str | None) -> None:
        """The embedded mock's URL while it runs (None when stopped): what an embedded-mock
        profile really connects to, shown greyed in place of the profile's own URL."""
        self._mock_url = url
        self._show_url()

    def _embedded_toggled(self, on: bool) -> None:
        if on and self.url_edit.isEnabled():
            self._stored_url = self.url_edit.text().strip()
        self._show_url()

    def _url_edited(self, text: str) -> None:
        if not self.embedded_check.isChecked():
            self._stored_url = text.strip()

    def _show_url(self) -> None:
        embedded = self.embedded_check.isChecked()
        self.url_edit.setEnabled(not embedded)
        if embedded:
            self.url_edit.setText(self._mock_url or "")
            self.url_edit.setPlaceholderText("the embedded mock server's URL, once it runs")
        else:
            self.url_edit.setText(self._stored_url)
            self.url_edit.setPlaceholderText("wss://host/api/v2/realtime")

    def load(self, p: Profile) -> None:
        self._subscriptions = [replace(s) for s in p.subscriptions]
        self._rules = list(p.rules)
        self.profile_kind.setCurrentIndex(max(0, self.profile_kind.findData(p.kind)))
        self.listen_edit.setText(p.listen)
        self.listen_self_signed.setChecked(p.listen_self_signed)
        self.listen_cert_edit.setText(p.listen_cert)
        self.listen_key_edit.setText(p.listen_key)
        self._show_listener()
        self.name_edit.setText(p.name)
        self._stored_url = p.url
        self.embedded_check.blockSignals(True)  # one refresh below, not a toggled one in between
        self.embedded_check.setChecked(p.embedded_mock)
        self.embedded_check.blockSignals(False)
        self._show_url()
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(p.token_kind)))
        self.token_edit.setText(p.token)
        self.env_edit.setText(p.token_env)
        self.command_edit.setText(p.token_command)
        self.auth_combo.setCurrentIndex(max(0, self.auth_combo.findData(p.auth)))
        self.ping_spin.setValue(float(p.ping_interval))
        self.reconnect_check.setChecked(p.auto_reconnect)
        self.options_form.load(p)
        self.payload_form.load(p)

    def profile(self) -> Profile:
        p = Profile(
            name=self.name_edit.text().strip(),
            url=self._stored_url if self.embedded_check.isChecked() else self.url_edit.text().strip(),
            token_kind=self.kind_combo.currentData(),
            token=self.token_edit.text().strip(),
            token_env=self.env_edit.text().strip(),
            token_command=self.command_edit.text().strip(),
            auth=self.auth_combo.currentData(),
            ping_interval=round(self.ping_spin.value(), 3),
            auto_reconnect=self.reconnect_check.isChecked(),
            embedded_mock=self.embedded_check.isChecked(),
            subscriptions=[replace(s) for s in self._subscriptions],
            kind=self.profile_kind.currentData(),
            listen=self.listen_edit.text().strip() or "127.0.0.1:9000",
            listen_self_signed=self.listen_self_signed.isChecked(),
            listen_cert=self.listen_cert_edit.text().strip(),
            listen_key=self.listen_key_edit.text().strip(),
            rules=list(self._rules),
        )
        self.options_form.apply_to(p)
        self.payload_form.apply_to(p)
        p.validate()
        problem = self.payload_form.problem()
        if problem:
            raise FieldError(f"profile {p.name!r}: {problem}")
        return p


class ConnectionManager(QWidget):
    """Profiles on the left of the window. Emits ``connect_requested(Profile)``."""

    connect_requested = Signal(object)
    check_requested = Signal(object)  # "Check server…": a conformance run against the profile
    message = Signal(str)  # status-bar text

    def __init__(self, store: ProfileStore, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self._renaming = False
        self._confirm: QMessageBox | None = None
        self.list = QListWidget()
        self.list.setEditTriggers(QListWidget.EditTrigger.EditKeyPressed)
        self.editor = ProfileEditor()
        self.new_button = QPushButton("New")
        self.duplicate_button = QPushButton("Duplicate")
        self.rename_button = QPushButton("Rename")
        self.delete_button = QPushButton("Delete")
        self.save_button = QPushButton("Save")
        self.connect_button = QPushButton("Connect")
        self.connect_button.setToolTip("Connect with this profile (Ctrl+Return)")
        self.check_button = QPushButton("Check server…")
        self.check_button.setToolTip("Check the server rule by rule against the protocol (conformance run)")
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #d33;")
        self.error_label.setWordWrap(True)

        self.connect_button.setDefault(True)
        style = self.style()
        for button, icon in ((self.new_button, QStyle.StandardPixmap.SP_FileIcon),
                             (self.save_button, QStyle.StandardPixmap.SP_DialogSaveButton),
                             (self.connect_button, QStyle.StandardPixmap.SP_MediaPlay)):
            button.setIcon(style.standardIcon(icon))
        # A short list (people keep a handful of profiles), then the form, then the
        # actions on the form: the column stays narrow so the log gets the width.
        self.list.setMinimumHeight(3 * self.list.fontMetrics().height())
        list_buttons = QGridLayout()
        list_buttons.setSpacing(4)
        for i, b in enumerate((self.new_button, self.duplicate_button, self.rename_button, self.delete_button)):
            list_buttons.addWidget(b, i // 2, i % 2)
        form_buttons = QGridLayout()
        form_buttons.addWidget(self.save_button, 0, 0)
        form_buttons.addWidget(self.connect_button, 0, 1)
        form_buttons.addWidget(self.check_button, 1, 0, 1, 2)
        # The list and the form scroll; Save, Connect and Check server… stay below them, in
        # view however short the window.
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        layout.addLayout(list_buttons)
        layout.addSpacing(6)
        layout.addWidget(self.editor)
        layout.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidget(content)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        bar = style.pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.scroll_area.setMinimumWidth(content.minimumSizeHint().width() + bar)  # never scrolls sideways
        actions = QVBoxLayout()
        actions.setContentsMargins(4, 4, 4 + bar, 4)
        actions.addLayout(form_buttons)
        actions.addWidget(self.error_label)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.scroll_area, 1)
        outer.addLayout(actions)

        self.list.currentItemChanged.connect(self._selected)
        self.list.itemChanged.connect(self._item_renamed)
        self.list.itemDoubleClicked.connect(lambda _item: self.connect_current())
        self.new_button.clicked.connect(self.new_profile)
        self.duplicate_button.clicked.connect(self.duplicate_current)
        self.rename_button.clicked.connect(self.rename_current)
        self.delete_button.clicked.connect(self.delete_current)
        self.save_button.clicked.connect(self.save_current)
        self.connect_button.clicked.connect(self.connect_current)
        self.check_button.clicked.connect(self.check_current)
        self.editor.changed.connect(lambda: self.error_label.setText(""))
        self.refresh()

    def set_mock_url(self, url: str | None) -> None:
        self.editor.set_mock_url(url)

    # ------------------------------------------------------------ list
    def refresh(self, select: str | None = None) -> None:
        select = select or self.current_name()
        self._renaming = True
        self.list.clear()
        for name in self.store.names():
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)
        self._renaming = False
        names = self.store.names()
        self._fit_list(len(names))
        if names:
            self.select(select if select in names else names[0])

    def _fit_list(self, count: int) -> None:
        """As tall as its profiles, 3 to 8 rows: a short list leaves the height to the form."""
        row = self.list.fontMetrics().height() + 4
        self.list.setMaximumHeight(max(3, min(8, count)) * row + 2 * self.list.frameWidth())

    def select(self, name: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.list.setCurrentRow(i)
                return

    def current_name(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _selected(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is None:
            return
        p = self.store.get(current.data(Qt.ItemDataRole.UserRole))
        if p is not None:
            self.editor.load(p)
            self.error_label.setText("")

    # ------------------------------------------------------------ actions
    def _persist(self) -> bool:
        try:
            self.store.save()
        except OSError as exc:
            self._error(f"could not save profiles: {exc.strerror or exc}")
            return False
        return True

    def _error(self, text: str) -> None:
        self.error_label.setText(text)
        self.message.emit(text)

    def _refused(self, exc: ProfileError) -> None:
        """The form's profile is not usable: say why (near the buttons, only where the field
        does not say it already) and in the status bar."""
        self._error(str(exc))
        if isinstance(exc, FieldError):
            self.error_label.setText(SEE_FIELD)

    def new_profile(self) -> None:
        name = self.store.unique_name("New profile")
        self.store.add(Profile(name=name, url="ws://127.0.0.1:8765/api/v2/realtime",
                               token_kind="env", token_env="RT_TOKEN"))
        self._persist()
        self.refresh(name)

    def duplicate_current(self) -> None:
        name = self.current_name()
        if name is None:
            return
        copy = self.store.duplicate(name)
        self._persist()
        self.refresh(copy.name)

    def rename_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def _item_renamed(self, item: QListWidgetItem) -> None:
        if self._renaming:
            return
        old = item.data(Qt.ItemDataRole.UserRole)
        new = item.text().strip()
        if new == old:
            return
        try:
            self.store.rename(old, new)
        except ProfileError as exc:
            self._error(str(exc))
            self._renaming = True
            item.setText(old)
            self._renaming = False
            return
        self._persist()
        self.refresh(new)

    def delete_current(self) -> None:
        """Ask without blocking: the box is opened and answers through a signal."""
        name = self.current_name()
        if name is None:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Delete profile",
                          f"Delete the profile “{name}”?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(result: int) -> None:
            self._confirm = None
            if result == QMessageBox.StandardButton.Yes and self.store.get(name) is not None:
                self.store.delete(name)
                self._persist()
                self.refresh()
                self.message.emit(f"deleted profile {name}")

        box.finished.connect(answered)
        self._confirm = box
        box.open()

    def save_current(self) -> Profile | None:
        name = self.current_name()
        try:
            p = self.editor.profile()
            if name is None:
                self.store.add(p)
            else:
                self.store.update(name, p)
        except ProfileError as exc:
            self._refused(exc)
            return None
        if self._persist():
            self.message.emit(f"saved profile {p.name}")
        self.refresh(p.name)
        return p

    def check_current(self) -> None:
        try:
            p = self.editor.profile()
        except ProfileError as exc:
            self._refused(exc)
            return
        self.check_requested.emit(p)

    def connect_current(self) -> None:
        try:
            p = self.editor.profile()
        except ProfileError as exc:
            self._refused(exc)
            return
        self.connect_requested.emit(p)
