"""What the command line takes as --slow, --control/--publish-command, --cases and --artifacts,
as controls above the results of "Check server…"."""

from __future__ import annotations

import ssl
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from inspector.conformance.cases import OPT_IN, PUBLISH, SLOW
from inspector.conformance.publish import CommandPublisher, ControlPublisher, Publisher
from inspector.qt.flow_layout import FlowLayout

NO_PUBLISHING, VIA_MOCK, VIA_COMMAND = "nothing", "the embedded mock", "a command"

# What to do about a case not run, in the words of these controls.
GUI_HINTS = {
    SLOW: "tick “Slow cases” and run again",
    PUBLISH: "choose a way under “Publish through” and run again",
    OPT_IN: "tick “Opt-in cases” and run again",
}


def _group(*widgets: QWidget) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        row.addWidget(w)
    return box


class CheckOptions(QWidget):
    run_requested = Signal()

    def __init__(self, control_url: str | None, artifacts: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.control_url = control_url
        self.dialog: QFileDialog | None = None
        self.slow_check = QCheckBox("Slow cases")
        self.slow_check.setToolTip("Also run the cases that wait on the protocol's long timers "
                                   "(idle close, server PINGs): they take minutes")
        self.opt_in_check = QCheckBox("Opt-in cases")
        self.opt_in_check.setToolTip("Also run the cases that strain the server (the connection limit "
                                     "opens many connections)")
        self.publish_combo = QComboBox()
        self.publish_combo.addItems([NO_PUBLISHING, VIA_MOCK, VIA_COMMAND])
        mock_item = self.publish_combo.model().item(1)  # type: ignore[attr-defined]
        if control_url is None:
            mock_item.setEnabled(False)
            mock_item.setToolTip("Only when checking the embedded mock")
        self.publish_combo.setCurrentText(VIA_MOCK if control_url else NO_PUBLISHING)
        self.publish_combo.setToolTip("How the filter cases get EVENTs published on their topics")
        self.command_edit = QLineEdit()
        self.command_edit.setPlaceholderText("command run once per EVENT, with {topic} and {data}")
        self.command_edit.setMinimumWidth(260)
        self.artifacts_edit = QLineEdit(str(artifacts) if artifacts is not None else "")
        self.artifacts_edit.setPlaceholderText("no recordings of failed cases")
        self.artifacts_edit.setToolTip("A failed case's recording and HAR are written to a new folder in this one")
        self.artifacts_edit.setMinimumWidth(260)
        self.artifacts_button = QPushButton("Choose…")
        self.run_button = QPushButton("Run again")
        self.run_button.setToolTip("Run the check again with these settings")
        flow = FlowLayout(self)
        flow.setContentsMargins(0, 0, 0, 0)
        # a label wraps together with its field
        for w in (self.slow_check, self.opt_in_check,
                  _group(QLabel("Publish through"), self.publish_combo, self.command_edit),
                  _group(QLabel("Recordings of failed cases in"), self.artifacts_edit, self.artifacts_button),
                  self.run_button):
            flow.addWidget(w)
        self.publish_combo.currentTextChanged.connect(self._publish_changed)
        self.artifacts_button.clicked.connect(self.choose_artifacts)
        self.run_button.clicked.connect(self.run_requested)
        self._publish_changed(self.publish_combo.currentText())

    def _publish_changed(self, text: str) -> None:
        self.command_edit.setVisible(text == VIA_COMMAND)

    def set_running(self, running: bool) -> None:
        for w in (self.slow_check, self.opt_in_check, self.publish_combo, self.command_edit, self.artifacts_edit,
                  self.artifacts_button, self.run_button):
            w.setEnabled(not running)

    # ------------------------------------------------------------ what the run gets

    @property
    def slow(self) -> bool:
        return self.slow_check.isChecked()

    def opted_in(self, opt_in_ids: list[str]) -> frozenset[str]:
        return frozenset(opt_in_ids) if self.opt_in_check.isChecked() else frozenset()

    def publisher(self, token: str, tls: ssl.SSLContext | None) -> Publisher | None:
        way = self.publish_combo.currentText()
        if way == VIA_MOCK and self.control_url:
            return ControlPublisher(self.control_url, token, tls)
        command = self.command_edit.text().strip()
        if way == VIA_COMMAND and command:
            return CommandPublisher(command)
        return None

    def artifacts(self) -> Path | None:
        text = self.artifacts_edit.text().strip()
        return Path(text).expanduser() if text else None

    def choose_artifacts(self) -> QFileDialog:
        dlg = QFileDialog(self, "Folder for the recordings of failed cases", self.artifacts_edit.text())
        dlg.setFileMode(QFileDialog.FileMode.Directory)
        dlg.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.fileSelected.connect(self.artifacts_edit.setText)
        dlg.finished.connect(self._dialog_closed)
        self.dialog = dlg
        dlg.open()  # not exec(): a nested loop inside qasync would re-enter the asyncio loop
        return dlg

    def _dialog_closed(self, _result: int = 0) -> None:
        self.dialog = None
