"""TLS for the mock: a server context from files, and throwaway certificates.

``self_signed(directory)`` makes a private CA and a server certificate for 127.0.0.1,
::1 and localhost, so the whole wss:// path (``--cacert``, verification failures) can be
tried offline. The same functions issue the odd certificates tests need (expired, for
another host, a client certificate for mutual TLS).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from inspector.private_files import make_private_dir, open_private

LOOPBACK_NAMES = ("127.0.0.1", "::1", "localhost")
_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self, password: bytes | None = None) -> bytes:
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption())
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


@dataclass(frozen=True)
class SelfSigned:
    ca_file: Path
    cert_file: Path
    key_file: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Realtime Inspector"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name: str = "Realtime Inspector mock CA", days: int = 30) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - _DAY).not_valid_after(now + days * _DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return Issued(cert, key)


def issue(ca: Issued, names: tuple[str, ...] = LOOPBACK_NAMES, *, common_name: str | None = None,
          not_before: datetime.datetime | None = None, not_after: datetime.datetime | None = None,
          client: bool = False) -> Issued:
    """A certificate signed by ``ca`` for ``names`` (IP addresses or DNS names)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
    builder = (x509.CertificateBuilder().subject_name(_name(common_name or (names[0] if names else "client")))
               .issuer_name(ca.cert.subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before or now - _DAY).not_valid_after(not_after or now + 30 * _DAY)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
                              critical=False))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)


def write(path: Path, data: bytes) -> Path:
    """A private (0600) file: a key in it is a secret, and the rest sits beside it."""
    with open_private(path, "wb") as fh:
        fh.write(data)
    return path


def self_signed(directory: str | os.PathLike[str]) -> SelfSigned:
    """A new CA and a loopback server certificate in ``directory`` (made private, 0700)."""
    folder = Path(directory)
    make_private_dir(folder)
    ca = make_ca()
    server = issue(ca)
    return SelfSigned(ca_file=write(folder / "ca.pem", ca.cert_pem),
                      cert_file=write(folder / "server.pem", server.cert_pem + ca.cert_pem),
                      key_file=write(folder / "server.key", server.key_pem()))


def server_context(cert_file: str | os.PathLike[str], key_file: str | os.PathLike[str] | None = None,
                   client_ca: str | os.PathLike[str] | None = None) -> ssl.SSLContext:
    """The mock's TLS: its certificate; with ``client_ca``, clients must present one it issued."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    if client_ca is not None:
        ctx.load_verify_locations(cafile=client_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx
