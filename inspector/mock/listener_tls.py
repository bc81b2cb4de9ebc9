"""TLS for a listener that serves ``wss://``: the mock's and the proxy's (command line and
app alike). A certificate and its key from files, or a throwaway self-signed one for
127.0.0.1/localhost made on the spot, whose CA file is left for clients to trust (its
key is removed once loaded); optionally, client certificates required (mutual TLS)."""

from __future__ import annotations

import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path


class ListenerTlsError(ValueError):
    """One line: why these TLS options cannot work."""


@dataclass(frozen=True)
class ListenerTls:
    cert: str | None = None
    key: str | None = None
    self_signed: bool = False
    client_ca: str | None = None


@dataclass(frozen=True)
class ListenerContext:
    context: ssl.SSLContext
    ca_file: Path | None  # a self-signed certificate's CA, for clients' trust stores


def listener_context(tls: ListenerTls, prefix: str) -> ListenerContext | None:
    """The server context (None: plain ``ws://``); a self-signed certificate is made in a new
    private temporary folder named ``prefix...``. ListenerTlsError says what is wrong."""
    cert, key = tls.cert, tls.key
    if tls.self_signed and (cert or key):
        raise ListenerTlsError("--tls-self-signed makes its own certificate: leave out --tls-cert/--tls-key")
    if key and not cert:
        raise ListenerTlsError("--tls-key needs --tls-cert")
    if tls.client_ca and not (cert or tls.self_signed):
        raise ListenerTlsError("--tls-client-ca needs TLS (--tls-cert or --tls-self-signed)")
    if not (cert or tls.self_signed):
        return None
    from inspector.mock.certs import self_signed, server_context  # cryptography: only when TLS is asked for

    ca_file = None
    if tls.self_signed:
        made = self_signed(tempfile.mkdtemp(prefix=prefix))
        cert, key, ca_file = str(made.cert_file), str(made.key_file), made.ca_file
    assert cert is not None
    try:
        context = server_context(cert, key, tls.client_ca)
    except FileNotFoundError as exc:
        raise ListenerTlsError(f"TLS file not found: {exc.filename or cert}") from None
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
        raise ListenerTlsError(f"cannot use the TLS certificate {cert}: {str(reason).replace('_', ' ').lower()}") \
            from None
    if ca_file is not None and key is not None:  # loaded: only the CA file stays behind
        os.unlink(cert)
        os.unlink(key)
    return ListenerContext(context, ca_file)
