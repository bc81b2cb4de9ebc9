"""The client over real TLS on 127.0.0.1 against the real mock (wss://), certificates made in the test.

Each way the TLS setup can fail ends in one line naming the reason and the certificate,
and stops the session at once (no backoff): the attempts counter stays at 1.
"""

from __future__ import annotations

import asyncio
import ssl

import pytest
from connect_proxy import ConnectProxy
from websockets.asyncio.server import serve

from inspector.client.engine import ClientConfig, RealtimeClient
from inspector.client.model import ConnectOptions
from inspector.client.tokens import TokenSource
from inspector.protocol.events import State, StopReason

TOKEN = "tls-test-token-5b1e"


def client_for(url: str, **options) -> RealtimeClient:
    return RealtimeClient(ClientConfig(url, TokenSource.literal(TOKEN), options=ConnectOptions(**options),
                                       backoff_initial=0.05, backoff_cap=0.05, open_timeout=5))


async def open_then_stop(client: RealtimeClient):
    client.start()
    try:
        await client.wait_state(State.OPEN, 5)
        return client.session_info
    finally:
        await client.stop()


async def stopped(client: RealtimeClient):
    client.start()
    ev = await client.wait_state(State.STOPPED, 5)
    await client.stop()
    return ev


def test_a_private_ca_given_with_cacert_is_trusted_and_the_chain_is_shown(mock_server, kit, certs):
    srv = mock_server(ssl_context=certs.context())
    assert srv.url.startswith("wss://127.0.0.1:")
    info = kit.run(open_then_stop(client_for(srv.url, cacert=certs.ca)))
    tls = info.tls
    assert tls.verified and tls.version.startswith("TLSv1.")
    assert tls.cipher and tls.bits
    leaf, root = tls.chain
    assert leaf.subject == "CN=127.0.0.1,O=Realtime Inspector"
    assert leaf.issuer == root.subject == "CN=Test Private CA,O=Realtime Inspector"
    assert "IP:127.0.0.1" in leaf.sans and "DNS:localhost" in leaf.sans
    assert len(leaf.sha256.split(":")) == 32
    assert leaf.not_before < leaf.not_after


@pytest.mark.parametrize("case, words", [
    ("unknown CA", ["unknown CA", "subject CN=127.0.0.1,O=Realtime Inspector",
                    "issuer CN=Someone Else's CA,O=Realtime Inspector", "--cacert"]),
    ("self-signed", ["self-signed certificate", "subject CN=127.0.0.1", "issuer CN=127.0.0.1"]),
    ("expired", ["certificate expired on", "subject CN=expired.test", "issuer CN=Test Private CA"]),
    ("hostname", ["IP address mismatch", "127.0.0.1 is not among the names", "DNS:other.test"]),
])
def test_a_certificate_that_fails_verification_stops_at_once_with_one_line(mock_server, kit, certs, case, words):
    pair = {"unknown CA": certs.stranger, "self-signed": certs.self_signed, "expired": certs.expired,
            "hostname": certs.wrong_host}[case]
    srv = mock_server(ssl_context=certs.context(pair))
    client = client_for(srv.url, cacert=certs.ca)
    ev = kit.run(stopped(client))
    assert ev.message.startswith("connect failed: TLS certificate verify failed: ")
    assert ev.stop is StopReason.CONNECT_FAILED
    for word in words:
        assert word in ev.message
    assert "\n" not in ev.message and TOKEN not in ev.message and "Error" not in ev.message
    assert client.stats.attempts == 1  # not retried with backoff


def test_a_dns_name_the_certificate_does_not_name_is_a_hostname_mismatch(mock_server, kit, certs):
    srv = mock_server(ssl_context=certs.context(certs.wrong_host))
    ev = kit.run(stopped(client_for(f"wss://localhost:{srv.port}/api/v2/realtime", cacert=certs.ca)))
    assert "TLS certificate verify failed: hostname mismatch (localhost is not among the names" in ev.message


def test_insecure_connects_to_an_unknown_certificate_and_says_it_is_unverified(mock_server, kit, certs):
    srv = mock_server(ssl_context=certs.context(certs.stranger))
    info = kit.run(open_then_stop(client_for(srv.url, insecure=True)))
    assert info.tls.verified is False
    assert info.tls.chain[0].issuer == "CN=Someone Else's CA,O=Realtime Inspector"


def test_mutual_tls_accepts_the_right_client_certificate(mock_server, kit, certs):
    srv = mock_server(ssl_context=certs.context(client_ca=certs.ca))
    cert, key = certs.client
    info = kit.run(open_then_stop(client_for(srv.url, cacert=certs.ca, cert=cert, key=key)))
    assert info.tls.verified


def test_mutual_tls_with_an_encrypted_key_and_its_passphrase(mock_server, kit, certs):
    srv = mock_server(ssl_context=certs.context(client_ca=certs.ca))
    info = kit.run(open_then_stop(client_for(srv.url, cacert=certs.ca, cert=certs.client[0],
                                             key=certs.client_encrypted_key, key_password=certs.passphrase)))
    assert info.tls.verified


def test_a_wrong_passphrase_stops_with_one_line(mock_server, kit, certs):
    srv = mock_server(ssl_context=certs.context(client_ca=certs.ca))
    client = client_for(srv.url, cacert=certs.ca, cert=certs.client[0], key=certs.client_encrypted_key,
                        key_password="not-the-passphrase")
    ev = kit.run(stopped(client))
    assert ev.message == (f"connect failed: cannot use the client certificate {certs.client[0]} / "
                          f"{certs.client_encrypted_key}: wrong passphrase for the key")
    assert "not-the-passphrase" not in ev.message and client.stats.attempts == 1


def _refusing_tls_server(context):
    """One TLS accept on a blocking socket: OpenSSL sends the server's alert when the handshake fails
    (asyncio's server hangs up without it), which is what a TLS terminator such as nginx does."""
    import socket
    import threading
    listener = socket.create_server(("127.0.0.1", 0))

    def serve_one():
        with listener:
            conn, _ = listener.accept()
            with conn:
                try:
                    with context.wrap_socket(conn, server_side=True) as tls:
                        tls.recv(1)
                except (ssl.SSLError, OSError):
                    pass

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


def test_mutual_tls_without_a_client_certificate_is_refused_and_not_retried(kit, certs):
    port, thread = _refusing_tls_server(certs.context(client_ca=certs.ca))
    client = client_for(f"wss://127.0.0.1:{port}/api/v2/realtime", cacert=certs.ca)
    ev = kit.run(stopped(client))
    thread.join(5)
    assert ev.message == "connect failed: TLS handshake failed: the server requires a client certificate (--cert/--key)"
    assert client.stats.attempts == 1


def test_network_failures_keep_the_backoff(kit, certs):
    import socket
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = client_for(f"wss://127.0.0.1:{port}/api/v2/realtime", cacert=certs.ca)

    async def go():
        client.start()
        closed = await client.wait_state(State.CLOSED, 5)
        waiting = await client.wait_state(State.WAITING, 5)
        await client.stop()
        return closed, waiting
    closed, waiting = kit.run(go())
    assert closed.message == f"connect failed: connection refused by 127.0.0.1:{port}"
    assert waiting.delay is not None


async def _recording_server(seen: list, ssl_context=None):
    def process_request(connection, request):
        seen.append(request.headers)
        return None

    async def handler(ws):
        await ws.wait_closed()

    return await serve(handler, "127.0.0.1", 0, process_request=process_request, subprotocols=["rt.v2"],
                       ssl=ssl_context, ping_interval=None)


def test_headers_origin_and_subprotocol_reach_the_server_over_tls(kit, certs):
    seen: list = []

    async def go():
        server = await _recording_server(seen, certs.context())
        port = server.sockets[0].getsockname()[1]
        try:
            client = client_for(f"wss://127.0.0.1:{port}/", cacert=certs.ca,
                                headers=(("X-Tenant", "acme"), ("X-Trace", "t-1")),
                                origin="https://console.example", subprotocols=("rt.v3", "rt.v2"))
            return await open_then_stop(client)
        finally:
            server.close()
            await server.wait_closed()
    info = kit.run(go())
    headers = seen[0]
    assert headers["X-Tenant"] == "acme" and headers["X-Trace"] == "t-1"
    assert headers["Origin"] == "https://console.example"
    assert headers["Sec-WebSocket-Protocol"] == "rt.v3, rt.v2"
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert info.subprotocol == "rt.v2"


def test_a_header_carrying_the_token_is_refused_before_anything_is_sent(kit):
    seen: list = []

    async def go():
        server = await _recording_server(seen)
        port = server.sockets[0].getsockname()[1]
        try:
            client = client_for(f"ws://127.0.0.1:{port}/", headers=(("X-Api-Key", f"k {TOKEN}"),))
            return await stopped(client)
        finally:
            server.close()
            await server.wait_closed()
    ev = kit.run(go())
    assert seen == []
    assert ev.message == "connect failed: header 'X-Api-Key' carries the token's value: use the token options"


def test_wss_through_an_explicit_proxy_verifies_the_server_not_the_proxy(mock_server, kit, certs, clean_proxy_env):
    srv = mock_server(ssl_context=certs.context())

    async def go():
        async with ConnectProxy(srv.port, "proxy-user:proxy-s3cret") as proxy:
            info = await open_then_stop(client_for(f"wss://localhost:{srv.port}/api/v2/realtime",
                                                   cacert=certs.ca, proxy=proxy.url))
            return proxy.requests, info
    requests, info = kit.run(go())
    assert requests[0].startswith(f"CONNECT localhost:{srv.port} HTTP/1.1\r\n".encode())
    assert info.proxy.startswith("127.0.0.1:") and "s3cret" not in repr(info)
    assert info.tls.verified and info.tls.chain[0].subject.startswith("CN=127.0.0.1")


def test_the_environments_proxy_is_used_for_wss_and_no_proxy_bypasses_it(mock_server, kit, certs, clean_proxy_env):
    srv = mock_server(ssl_context=certs.context())
    url = f"wss://mock.test:{srv.port}/api/v2/realtime"

    async def go():
        async with ConnectProxy(srv.port) as proxy:
            clean_proxy_env.setenv("https_proxy", proxy.url)
            info = await open_then_stop(client_for(url, insecure=True))
            used = list(proxy.requests)
            clean_proxy_env.setenv("no_proxy", "mock.test")
            client = client_for(url, insecure=True)
            client.start()
            closed = await client.wait_state(State.CLOSED, 5)
            await client.stop()
            return used, info, proxy.requests[len(used):], closed
    used, info, after, closed = kit.run(go())
    assert used and used[0].startswith(f"CONNECT mock.test:{srv.port} ".encode()) and info.proxy
    assert after == []  # bypassed: the client dialled mock.test itself, which does not resolve
    assert closed.message.startswith("connect failed: name not resolved: mock.test")


def test_no_proxy_option_ignores_the_environment(mock_server, kit, certs, clean_proxy_env):
    srv = mock_server(ssl_context=certs.context())

    async def go():
        async with ConnectProxy(srv.port) as proxy:
            clean_proxy_env.setenv("https_proxy", proxy.url)
            client = client_for(f"wss://mock.test:{srv.port}/api/v2/realtime", insecure=True, no_proxy=True)
            client.start()
            closed = await client.wait_state(State.CLOSED, 5)
            await client.stop()
            return proxy.requests, closed
    requests, closed = kit.run(go())
    assert requests == [] and "name not resolved: mock.test" in closed.message


def test_sslkeylogfile_receives_the_session_keys(mock_server, kit, certs, tmp_path, monkeypatch):
    keylog = tmp_path / "keys.log"
    monkeypatch.setenv("SSLKEYLOGFILE", str(keylog))
    srv = mock_server(ssl_context=certs.context())
    kit.run(open_then_stop(client_for(srv.url, cacert=certs.ca)))
    assert "CLIENT_TRAFFIC_SECRET_0" in keylog.read_text() or "CLIENT_RANDOM" in keylog.read_text()


def test_the_options_repr_shows_no_header_value_or_proxy_password():
    text = repr(ConnectOptions(headers=(("X-Api-Key", "hdr-secret-1"),), key_password="pw-secret-2",
                               proxy="http://u:proxy-secret-3@proxy:3128"))
    assert "X-Api-Key" in text
    assert "hdr-secret-1" not in text and "pw-secret-2" not in text and "proxy-secret-3" not in text


def test_asyncio_loop_closes_cleanly_after_a_refused_certificate(mock_server, certs):
    """The probe that reads the rejected certificate leaves no transport behind (leak guard)."""
    srv = mock_server(ssl_context=certs.context(certs.stranger))
    ev = asyncio.run(stopped(client_for(srv.url)))
    assert "unknown CA" in ev.message


def _closed_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_proxy_nobody_listens_on_is_named_in_one_line(kit, clean_proxy_env):
    port = _closed_port()
    client = client_for("wss://example.test/api/v2/realtime", proxy=f"http://u:proxy-s3cret@127.0.0.1:{port}")

    async def go():
        client.start()
        ev = await client.wait_state(State.CLOSED, 5)
        await client.stop()
        return ev
    ev = kit.run(go())
    assert ev.message == f"connect failed: cannot reach the proxy 127.0.0.1:{port}: connection refused"


def test_wss_to_a_plain_server_and_an_unusable_client_certificate_are_one_line(mock_server, kit, certs):
    srv = mock_server()
    client = client_for(srv.url.replace("ws://", "wss://"), cacert=certs.ca)

    async def go():
        client.start()
        ev = await client.wait_state(State.CLOSED, 5)
        await client.stop()
        return ev
    assert kit.run(go()).message == f"connect failed: connection reset by 127.0.0.1:{srv.port}"
    bad = client_for(srv.url.replace("ws://", "wss://"), cert=certs.ca, key=certs.ca)
    ev = kit.run(stopped(bad))
    assert ev.message == (f"connect failed: cannot use the client certificate {certs.ca} / {certs.ca}: "
                          "not a PEM certificate and its key")
