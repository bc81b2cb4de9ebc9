"""What a browser's padlock shows, for one connection: the TLS session and the server's certificates.

A summary line (TLS version, cipher, ALPN, the subprotocol the server picked, the proxy),
a red banner while certificates go unchecked (--insecure), and the chain as a tree:
subject, issuer, validity, SANs and SHA-256 fingerprint of each certificate.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from inspector.client.tls import CertInfo, SessionInfo

INSECURE_BANNER = "⚠ INSECURE: the server's certificate is not verified (anyone on the way can pose as it)"


class TlsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.banner = QLabel(INSECURE_BANNER)
        self.banner.setObjectName("insecureBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("color: white; background: #c62828; font-weight: bold; padding: 3px")
        self.banner.setVisible(False)
        self.chain = QTreeWidget()
        self.chain.setColumnCount(2)
        self.chain.setHeaderLabels(["Certificate", ""])
        self.chain.setUniformRowHeights(True)
        self.chain.setMaximumHeight(10 * (self.fontMetrics().height() + 6))
        self.chain.setVisible(False)
        self._items: list[QTreeWidgetItem] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.summary)
        layout.addWidget(self.chain)

    def set_insecure(self, insecure: bool) -> None:
        """Marked before the first connect too: the profile says certificates go unchecked."""
        self.banner.setVisible(insecure)

    def show_session(self, info: SessionInfo | None) -> None:
        self.chain.clear()
        self._items = []
        if info is None:
            self.summary.setText("")
            self.chain.setVisible(False)
            return
        parts = []
        tls = info.tls
        if tls is not None:
            bits = f" ({tls.bits} bits)" if tls.bits else ""
            parts.append(f"{tls.version} · {tls.cipher}{bits} · ALPN {tls.alpn or '—'}")
            parts.append("certificate verified" if tls.verified else "certificate NOT verified")
            self.set_insecure(not tls.verified)
        else:
            parts.append("no TLS (ws://)")
        parts.append(f"subprotocol {info.subprotocol}" if info.subprotocol else "no subprotocol")
        if info.proxy:
            parts.append(f"through the proxy {info.proxy}")
        self.summary.setText(" · ".join(parts))
        if tls is None or not tls.chain:
            self.chain.setVisible(False)
            return
        items = [cert_item(i, cert) for i, cert in enumerate(tls.chain)]
        self.chain.addTopLevelItems(items)
        items[0].setExpanded(True)
        self._items = items
        self.chain.resizeColumnToContents(0)
        self.chain.setVisible(True)

    def text(self) -> str:
        """Everything shown, as plain text (for copying and tests)."""
        lines = [self.banner.text()] if self.banner.isVisibleTo(self) else []
        lines.append(self.summary.text())
        for top in self._items:
            lines.append(f"{top.text(0)} {top.text(1)}")
            children = (top.child(j) for j in range(top.childCount()))
            lines += [f"  {c.text(0)}: {c.text(1)}" for c in children if c is not None]
        return "\n".join(lines)


def cert_item(index: int, cert: CertInfo) -> QTreeWidgetItem:
    role = "server" if index == 0 else ("root CA" if cert.self_signed else "CA")
    top = QTreeWidgetItem([f"{index + 1}. {role}", cert.subject])
    for name, value in (("Subject", cert.subject), ("Issuer", cert.issuer),
                        ("Valid from", f"{cert.not_before:%Y-%m-%d %H:%M:%S} UTC"),
                        ("Valid until", f"{cert.not_after:%Y-%m-%d %H:%M:%S} UTC"),
                        ("Names (SAN)", ", ".join(cert.sans) or "—"),
                        ("SHA-256", cert.sha256)):
        top.addChild(QTreeWidgetItem([name, value]))
    return top
