"""Certificates for the TLS tests, made fresh per session with ``cryptography``.

``certs`` (session fixture): a private CA and, signed by it, a server certificate for the
loopback names, an expired one, one for another host, and a client certificate (its key
also written encrypted); plus a self-signed server certificate and a second, unknown CA.
"""

from __future__ import annotations

import datetime
import types

import pytest

from inspector.mock.certs import issue, make_ca, server_context, write

KEY_PASSPHRASE = "key-pass-9d2e"


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)
    ca = make_ca("Test Private CA")
    other_ca = make_ca("Someone Else's CA")
    server = issue(ca)
    expired = issue(ca, common_name="expired.test", not_before=now - datetime.timedelta(days=60),
                    not_after=now - datetime.timedelta(days=30))
    wrong_host = issue(ca, ("other.test",), common_name="other.test")
    client = issue(ca, (), common_name="inspector-client", client=True)
    self_signed = make_ca("127.0.0.1")
    stranger = issue(other_ca)

    def pem(name: str, data: bytes) -> str:
        return str(write(folder / name, data))

    ns = types.SimpleNamespace(
        ca=pem("ca.pem", ca.cert_pem), other_ca=pem("other-ca.pem", other_ca.cert_pem),
        server=(pem("server.pem", server.cert_pem), pem("server.key", server.key_pem())),
        expired=(pem("expired.pem", expired.cert_pem), pem("expired.key", expired.key_pem())),
        wrong_host=(pem("wrong.pem", wrong_host.cert_pem), pem("wrong.key", wrong_host.key_pem())),
        self_signed=(pem("self.pem", self_signed.cert_pem), pem("self.key", self_signed.key_pem())),
        stranger=(pem("stranger.pem", stranger.cert_pem), pem("stranger.key", stranger.key_pem())),
        client=(pem("client.pem", client.cert_pem), pem("client.key", client.key_pem())),
        client_encrypted_key=pem("client-enc.key", client.key_pem(KEY_PASSPHRASE.encode())),
        passphrase=KEY_PASSPHRASE,
        server_ca_cert=ca.cert,
    )
    ns.context = lambda pair=None, client_ca=None: server_context(*(pair or ns.server), client_ca)
    return ns
