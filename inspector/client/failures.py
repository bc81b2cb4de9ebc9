"""Why a connect failed, as one plain line, and whether trying again can help.

Certificate and TLS failures stop the session (they do not fix themselves, like an HTTP
401); network failures keep the reconnect policy. No line names an exception class or
carries a token: the engine scrubs them once more before showing them.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass

from websockets.exceptions import InvalidHandshake

from inspector.client.proxy import ProxyError
from inspector.client.tls import CertInfo, TlsSetupError


@dataclass(frozen=True, slots=True)
class Failure:
    message: str
    stop: bool  # True: retrying cannot help; the session stops with the message


class CertificateRejected(Exception):
    """The server's certificate failed verification; ``cert`` is what it presented (if it could be read)."""

    def __init__(self, error: ssl.SSLCertVerificationError, cert: CertInfo | None, host: str) -> None:
        super().__init__(error.verify_message or str(error))
        self.error = error
        self.cert = cert
        self.host = host


# OpenSSL's X509_V_ERR_* codes (x509_vfy.h) that people meet, in their words.
_VERIFY_REASONS = {
    2: "unknown CA (its issuer's certificate is not available)",
    9: "certificate not yet valid",
    10: "certificate expired",
    18: "self-signed certificate",
    19: "self-signed certificate in the chain (unknown CA)",
    20: "unknown CA (issuer not trusted)",
    21: "unknown CA (the first certificate cannot be verified)",
    62: "hostname mismatch",
    64: "IP address mismatch",
}
_TRUST_HINT = {2, 18, 19, 20, 21}
CERT_FAILED = "TLS certificate verify failed"
# what the command line can do about an untrusted certificate; the app offers buttons instead
CLI_TRUST_HINT = " (trust its CA with --cacert FILE, or --insecure to skip the check)"

# TLS alerts and OpenSSL reasons of a failed handshake, in words, with what to do.
_HANDSHAKE_REASONS = {
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": "the server requires a client certificate (--cert/--key)",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "the server refused the handshake (no common cipher or protocol, "
                                     "or a client certificate is required)",
    "SSLV3_ALERT_BAD_CERTIFICATE": "the server refused the client certificate",
    "TLSV1_ALERT_UNKNOWN_CA": "the server does not trust the client certificate's CA",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED": "the server says the client certificate has expired",
    "TLSV1_ALERT_PROTOCOL_VERSION": "no TLS version in common with the server",
    "WRONG_VERSION_NUMBER": "the server does not speak TLS on this port (try ws://)",
    "RECORD_LAYER_FAILURE": "the server does not speak TLS on this port (try ws://)",
}


def classify(exc: BaseException, host: str = "", port: int | None = None) -> Failure:
    """The one line for a failed connect to ``host:port`` (before the upgrade's answer)."""
    tls = _tls_failure(exc, host)
    if tls is not None:
        return tls
    return _network_failure(exc, host, f"{host}:{port}" if host and port else host)


def _tls_failure(exc: BaseException, host: str) -> Failure | None:
    """The line for a certificate or TLS failure; None for any other."""
    if isinstance(exc, CertificateRejected):
        return Failure(certificate_line(exc.error, exc.cert, exc.host), stop=True)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Failure(certificate_line(exc, None, host), stop=True)
    if isinstance(exc, TlsSetupError):
        return Failure(str(exc), stop=True)
    if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):  # a hang-up, not a refusal: try again
        return Failure("TLS handshake failed: the server closed the connection", stop=False)
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or ""
        text = _HANDSHAKE_REASONS.get(reason) or (reason.replace("_", " ").lower() if reason else str(exc))
        return Failure(f"TLS handshake failed: {text}", stop=True)
    return None


def _network_failure(exc: BaseException, host: str, where: str) -> Failure:
    """The line for any other failure (network, proxy, handshake): trying again may help."""
    if isinstance(exc, ProxyError):
        return Failure(str(exc), stop=False)
    if isinstance(exc, socket.gaierror):
        return Failure(f"name not resolved: {host or '?'} ({exc.strerror or 'unknown host'})", stop=False)
    if isinstance(exc, ConnectionRefusedError):
        return Failure(f"connection refused by {where}" if where else "connection refused", stop=False)
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return Failure(f"timed out connecting to {where}" if where else "timed out", stop=False)
    if isinstance(exc, ConnectionResetError):
        return Failure(f"connection reset by {where}" if where else "connection reset by the server", stop=False)
    if isinstance(exc, InvalidHandshake):
        return Failure(f"WebSocket handshake failed: {exc}", stop=False)
    if isinstance(exc, OSError) and exc.strerror:
        return Failure(exc.strerror[:1].lower() + exc.strerror[1:], stop=False)
    text = str(exc).splitlines()[0] if str(exc) else "unexpected error"
    return Failure(text, stop=False)


def certificate_line(error: ssl.SSLCertVerificationError, cert: CertInfo | None, host: str) -> str:
    code = error.verify_code
    reason = _VERIFY_REASONS.get(code) if isinstance(code, int) else None
    if reason is None:
        reason = error.verify_message or (error.reason or "").replace("_", " ").lower() or "rejected"
    line = f"{CERT_FAILED}: {reason}"
    if code in (62, 64) and host:
        line += f" ({host} is not among the names the certificate is for)"
    if code == 10 and cert is not None:
        line += f" on {cert.not_after:%Y-%m-%d %H:%M} UTC"
    if cert is not None:
        line += f"; subject {cert.subject}, issuer {cert.issuer}"
        if code in (62, 64) and cert.sans:
            line += f", names {', '.join(cert.sans)}"
    if code in _TRUST_HINT:
        line += CLI_TRUST_HINT
    return line


def http_line(status: int, code: str | None) -> str:
    """The refused upgrade, with the API's JSON ``code`` for a 401."""
    if status == 401:
        return f"server refused the connection: HTTP 401 {code or 'unknown'}"
    return f"server answered the upgrade with HTTP {status}"
