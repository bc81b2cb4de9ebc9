"""Before the cases: can the server be reached at all? If not, one line says why.

The line is the one ``tail`` shows for the same failure (``client.failures.classify``),
so a dead port reads the same everywhere and no exception class name reaches a user.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from urllib.parse import urlsplit

from inspector.client.connection import rejected_certificate
from inspector.client.failures import CertificateRejected, classify


async def unreachable(url: str, tls: ssl.SSLContext | None, within: float = 10.0) -> str | None:
    """None when a TCP (and, for wss://, TLS) connection to the URL's server opens; else why not."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    secure = parts.scheme == "wss"
    port = parts.port or (443 if secure else 80)
    context: ssl.SSLContext | bool | None = (tls or True) if secure else None
    try:
        async with asyncio.timeout(within):
            _, writer = await asyncio.open_connection(host, port, ssl=context,
                                                      server_hostname=host if secure else None)
    except ssl.SSLCertVerificationError as exc:  # name the certificate, as tail does
        rejected = CertificateRejected(exc, await rejected_certificate(host, port, None), host)
        return classify(rejected, host, port).message
    except (OSError, TimeoutError) as exc:
        return classify(exc, host, port).message
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return None
