"""A client key's passphrase: asked for when a profile's key is encrypted, kept in memory
for the session only (never saved to the profile, never logged).

The question is a non-blocking ``QInputDialog`` (``open()`` answering through signals):
connections already open keep running while it is shown.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from inspector.client.tls import PassphraseNeeded, TlsSetupError, client_context
from inspector.profiles import Profile, ProfileError


class KeyPassphrases(QObject):
    """Passphrases by key file, for this run of the app."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._window = parent
        self._known: dict[str, str] = {}
        self.dialog: QInputDialog | None = None  # the question being shown

    def __repr__(self) -> str:  # never the passphrases themselves
        return f"KeyPassphrases({len(self._known)} key(s))"

    def password_for(self, profile: Profile) -> str | None:
        key = profile.client_key or profile.client_cert
        return self._known.get(key) if key else None

    def needed(self, profile: Profile) -> PassphraseNeeded | None:
        """Why ``profile`` cannot connect without asking: its key is encrypted and the session
        holds no passphrase for it, or a wrong one. Other TLS problems are the connection's to report."""
        if not profile.client_cert:
            return None
        try:
            client_context(profile.connect_options(self.password_for(profile)))
        except PassphraseNeeded as exc:
            if exc.wrong:
                self._known.pop(exc.key_file, None)
            return exc
        except (TlsSetupError, ProfileError):
            return None
        return None

    def ask(self, profile: Profile, needed: PassphraseNeeded, then: Callable[[], object]) -> QInputDialog:
        """Ask for the passphrase of ``needed.key_file``; ``then()`` runs once one is given."""
        if self.dialog is not None:  # already asking: show that question again
            self.dialog.raise_()
            self.dialog.activateWindow()
            return self.dialog
        dialog = QInputDialog(self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setObjectName("keyPassphraseDialog")
        dialog.setWindowTitle("Client key passphrase")
        dialog.setInputMode(QInputDialog.InputMode.TextInput)
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
        first = "That passphrase does not open the key. " if needed.wrong else ""
        dialog.setLabelText(f"{first}The client key of profile {profile.name} is encrypted:\n{needed.key_file}\n\n"
                            "Passphrase (kept in memory until the app quits, never saved):")
        key_file = needed.key_file

        # Qt emits finished before textValueSelected: the question is over when the answer comes
        def finished(result: int) -> None:
            if self.dialog is dialog:
                self.dialog = None
            if result != QInputDialog.DialogCode.Accepted:
                dialog.setTextValue("")

        def given(text: str) -> None:
            dialog.setTextValue("")  # the widget's copy goes with the dialog
            if text:
                self._known[key_file] = text
                then()  # a wrong passphrase asks again, with a new question

        dialog.finished.connect(finished)
        dialog.textValueSelected.connect(given)
        self.dialog = dialog
        dialog.open()
        return dialog

    def forget(self) -> None:
        self._known.clear()
