"""TLS for the client: the SSLContext its options ask for, and what a session negotiated.

The context starts from ``ssl.create_default_context()``: the system's trust store,
hostname checks, and ``SSLKEYLOGFILE`` honoured (the standard library sets
``keylog_filename`` from it), so a capture can be decrypted in Wireshark.
Certificates are read with ``cryptography`` because ``getpeercert()`` says nothing
about a certificate it did not verify (``--insecure``).
"""

from __future__ import annotations

import datetime
import ssl
from dataclasses import dataclass

from inspector.client.model import ConnectOptions

MAX_CHAIN = 10


class TlsSetupError(ValueError):
    """A TLS file that cannot be used (missing, unreadable, wrong passphrase): one line."""


class PassphraseNeeded(TlsSetupError):
    """The client key is encrypted and its passphrase is missing or wrong: the app asks for it."""

    def __init__(self, message: str, key_file: str, wrong: bool) -> None:
        super().__init__(message)
        self.key_file = key_file
        self.wrong = wrong  # a passphrase was given, and it was not the key's


@dataclass(frozen=True, slots=True)
class CertInfo:
    subject: str
    issuer: str
    not_before: datetime.datetime
    not_after: datetime.datetime
    sans: tuple[str, ...]
    sha256: str  # colon-separated upper-case hex, as browsers show it

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer


@dataclass(frozen=True, slots=True)
class TlsSession:
    version: str
    cipher: str
    bits: int | None
    alpn: str | None
    chain: tuple[CertInfo, ...]  # the server's certificate first
    verified: bool  # False with --insecure: nobody checked who answered


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What one opened connection negotiated, for the connection view."""

    tls: TlsSession | None
    subprotocol: str | None
    proxy: str | None  # host:port of the HTTP proxy the tunnel went through


def client_context(options: ConnectOptions) -> ssl.SSLContext:
    """The context for wss:// with these options; TlsSetupError naming the file that failed."""
    ctx = ssl.create_default_context()
    if options.cacert:
        # a certificate in the user's CA file is an anchor even when it is not a root: the app's
        # "Trust this certificate" saves the server's own certificate there (a pin)
        ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        try:
            ctx.load_verify_locations(cafile=options.cacert)
        except FileNotFoundError:
            raise TlsSetupError(f"CA file not found: {options.cacert}") from None
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise TlsSetupError(f"cannot use the CA file {options.cacert}: {_reason(exc)}") from None
    if options.cert:
        try:
            ctx.load_cert_chain(options.cert, options.key or None, password=options.key_password or _no_password)
        except FileNotFoundError as exc:
            raise TlsSetupError(f"client certificate or key not found: {exc.filename or options.cert}") from None
        except (ssl.SSLError, OSError, ValueError) as exc:
            where = f"{options.cert}" + (f" / {options.key}" if options.key else "")
            key_file = options.key or options.cert
            wrong = _wrong_passphrase(key_file, options.key_password)
            reason = wrong or _reason(exc)
            message = f"cannot use the client certificate {where}: {reason}"
            if wrong or (not options.key_password and reason == NO_PASSPHRASE):
                raise PassphraseNeeded(message, key_file, wrong=bool(wrong)) from None
            raise TlsSetupError(message) from None
    if options.insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


NO_PASSPHRASE = "the key is encrypted and no passphrase was given"


def _no_password() -> str:
    # Asked for only when the key is encrypted: without this, OpenSSL would prompt on the terminal.
    raise ValueError(NO_PASSPHRASE)


def _wrong_passphrase(key_file: str, password: str | None) -> str | None:
    """OpenSSL says only "PEM lib" for a wrong passphrase: ask cryptography whether that was it."""
    if not password:
        return None
    from cryptography.hazmat.primitives import serialization  # certificate details load when first used
    try:
        with open(key_file, "rb") as fh:
            serialization.load_pem_private_key(fh.read(), password.encode())
    except TypeError:  # the key is not encrypted: the passphrase was not the problem
        return None
    except ValueError as exc:
        text = str(exc).lower()
        return "wrong passphrase for the key" if "decrypt" in text or "password" in text else None
    except OSError:
        return None
    return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        if exc.reason == "BAD_DECRYPT" or "bad decrypt" in str(exc).lower():
            return "wrong passphrase for the key"
        if exc.reason and exc.reason != "PEM_LIB":
            return exc.reason.replace("_", " ").lower()
        return "not a PEM certificate and its key"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def probe_context() -> ssl.SSLContext:
    """A context that accepts any certificate: only to read one that failed verification."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def describe_cert(der: bytes) -> CertInfo | None:
    """The fields people look for in a certificate; None for bytes that are not one."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    try:
        cert = x509.load_der_x509_certificate(der)
        sans: list[str] = []
        try:
            ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            sans += [f"DNS:{name}" for name in ext.get_values_for_type(x509.DNSName)]
            sans += [f"IP:{ip}" for ip in ext.get_values_for_type(x509.IPAddress)]
        except x509.ExtensionNotFound:
            pass
        return CertInfo(subject=cert.subject.rfc4514_string() or "(empty)",
                        issuer=cert.issuer.rfc4514_string() or "(empty)",
                        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
                        sans=tuple(sans), sha256=cert.fingerprint(hashes.SHA256()).hex(":").upper())
    except (ValueError, TypeError):  # malformed DER or an extension cryptography refuses
        return None


def session_of(ssl_object: ssl.SSLObject, ctx: ssl.SSLContext, options: ConnectOptions) -> TlsSession:
    cipher = ssl_object.cipher()
    chain = (describe_cert(der) for der in peer_chain(ssl_object, ctx, options.cacert))
    return TlsSession(version=ssl_object.version() or "?", cipher=cipher[0] if cipher else "?",
                      bits=cipher[2] if cipher else None, alpn=ssl_object.selected_alpn_protocol(),
                      chain=tuple(c for c in chain if c), verified=not options.insecure)


def peer_chain(ssl_object: ssl.SSLObject, ctx: ssl.SSLContext, cafile: str | None) -> list[bytes]:
    """The server's certificate and, as far as it can be known, the chain up to its root (DER)."""
    verified = getattr(ssl_object, "get_verified_chain", None)  # Python 3.13+
    if verified is not None and ctx.verify_mode != ssl.CERT_NONE:
        return [bytes(c) for c in verified()]
    leaf = ssl_object.getpeercert(binary_form=True)
    if not leaf:
        return []
    chain = [leaf]
    if not cafile:
        return chain
    # Before 3.13 only the leaf is exposed: complete the path from the user's CA file (--cacert).
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    try:
        with open(cafile, "rb") as fh:
            cas = {c.subject: c for c in x509.load_pem_x509_certificates(fh.read())}
        current = x509.load_der_x509_certificate(leaf)
    except (OSError, ValueError):
        return chain
    while len(chain) < MAX_CHAIN and current.issuer != current.subject and current.issuer in cas:
        current = cas[current.issuer]
        chain.append(current.public_bytes(serialization.Encoding.DER))
    return chain



def presented_chain(ssl_object: ssl.SSLObject | ssl.SSLSocket) -> list[bytes]:
    """The certificates the server presented (DER, its own first), verified or not. Before
    Python 3.13 only the server's own certificate can be read."""
    unverified = getattr(ssl_object, "get_unverified_chain", None)  # Python 3.13+
    if unverified is not None:
        chain = [bytes(c) for c in unverified()]
        if chain:
            return chain
    leaf = ssl_object.getpeercert(binary_form=True)
    return [leaf] if leaf else []
