import json
import os
import stat

import pytest

from inspector.profiles import (
    LOCAL_MOCK,
    SCHEMA_VERSION,
    Profile,
    ProfileError,
    ProfileStore,
    Subscription,
    default_config_dir,
)

SECRET = "s3cr3t-token-value"


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _remote(name="Prod") -> Profile:
    return Profile(name=name, url="wss://example.test/api/v2/realtime", token_kind="literal", token=SECRET,
                   auth="query", ping_interval=2.5, auto_reconnect=False,
                   subscriptions=[Subscription("orders.eu", "data.total > `100`"), Subscription("ticker")])


def test_first_run_gives_local_mock_profile(tmp_path):
    store = ProfileStore(tmp_path / "cfg")
    store.load()
    assert store.names() == [LOCAL_MOCK]
    p = store.get(LOCAL_MOCK)
    assert p.embedded_mock and p.ping_interval <= 1.0
    assert [s.topic for s in p.subscriptions] == ["ticker", "orders.eu", "orders.us", "chat.lobby"]


def test_round_trip_and_file_modes(tmp_path):
    d = tmp_path / "cfg" / "realtime-inspector"
    store = ProfileStore(d)
    store.load()
    store.add(_remote())
    store.add(Profile(name="Env", url="ws://127.0.0.1:1/api/v2/realtime", token_kind="env", token_env="RT_TOKEN"))
    store.save()
    assert _mode(d) == 0o700
    assert _mode(d / "profiles.json") == 0o600
    doc = json.loads((d / "profiles.json").read_text())
    assert doc["schema"] == SCHEMA_VERSION
    assert [p["name"] for p in doc["profiles"]] == [LOCAL_MOCK, "Prod", "Env"]
    assert not [f for f in os.listdir(d) if f.endswith(".tmp")]

    again = ProfileStore(d)
    again.load()
    assert again.names() == [LOCAL_MOCK, "Prod", "Env"]
    prod = again.get("Prod")
    assert prod == _remote()
    assert prod.token == SECRET and prod.auth == "query" and prod.auto_reconnect is False
    assert prod.subscriptions[0].filter == "data.total > `100`"


def test_existing_folder_is_tightened_to_0700(tmp_path):
    d = tmp_path / "wide"
    d.mkdir(mode=0o755)
    os.chmod(d, 0o755)
    store = ProfileStore(d)
    store.add(_remote())
    store.save()
    assert _mode(d) == 0o700 and _mode(d / "profiles.json") == 0o600


def test_token_never_in_repr_or_str():
    p = _remote()
    assert SECRET not in repr(p)
    assert SECRET not in str(p)
    assert SECRET not in f"{p}"
    assert "Prod" in repr(p)


def test_duplicate_rename_delete(tmp_path):
    store = ProfileStore(tmp_path)
    store.add(_remote())
    copy = store.duplicate("Prod")
    assert copy.name == "Prod copy" and copy.token == SECRET
    copy.subscriptions.append(Subscription("x"))
    assert len(store.get("Prod").subscriptions) == 2  # deep enough copy
    assert store.duplicate("Prod").name == "Prod copy (2)"
    store.rename("Prod copy", "Staging")
    assert "Staging" in store.names()
    with pytest.raises(ProfileError, match="already exists"):
        store.rename("Staging", "Prod")
    with pytest.raises(ProfileError, match="empty"):
        store.rename("Staging", "  ")
    store.delete("Staging")
    assert store.names() == ["Prod", "Prod copy (2)"]
    with pytest.raises(ProfileError, match="no profile"):
        store.delete("nope")
    with pytest.raises(ProfileError, match="already exists"):
        store.add(_remote())


@pytest.mark.parametrize("profile, message", [
    (Profile(name=""), "name is empty"),
    (Profile(name="a", url="http://x"), "ws://"),
    (Profile(name="a", url="wss://x/api/v2/realtime?token=abc"), "remove token="),
    (Profile(name="a", url="ws://x", token_kind="env"), "environment variable"),
    (Profile(name="a", url="ws://x", token_kind="command"), "command is empty"),
    (Profile(name="a", url="ws://x", token_kind="magic"), "token source"),
    (Profile(name="a", url="ws://x", auth="cookie"), "placement"),
    (Profile(name="a", url="ws://x", ping_interval=-1), "ping interval"),
    (Profile(name="a", url="ws://x", subscriptions=[Subscription("Bad Topic")]), "not allowed"),
    (Profile(name="a", url="ws://x", subscriptions=[Subscription("t", "data.[")]), "filter"),
])
def test_validation(profile, message):
    with pytest.raises(ProfileError, match=message):
        profile.validate()


@pytest.mark.parametrize("content, message", [
    ("not json", "not valid JSON"),
    ("[]", "no 'profiles'"),
    ('{"profiles": []}', "schema"),
    ('{"schema": 99, "profiles": []}', "newer version"),
    ('{"schema": 1, "profiles": [1]}', "not a JSON object"),
    ('{"schema": 1, "profiles": [{"url": "ws://x"}]}', "no name"),
    ('{"schema": 1, "profiles": [{"name": "a", "url": "ws://x", "ping_interval": "5"}]}', "number"),
    ('{"schema": 1, "profiles": [{"name": "a", "url": "ws://x"}, {"name": "a", "url": "ws://y"}]}', "twice"),
])
def test_bad_file_is_a_clear_error(tmp_path, content, message):
    (tmp_path / "profiles.json").write_text(content)
    store = ProfileStore(tmp_path)
    with pytest.raises(ProfileError, match=message):
        store.load()
    assert store.names() == []


def test_unknown_fields_are_ignored(tmp_path):
    (tmp_path / "profiles.json").write_text(json.dumps(
        {"schema": 1, "profiles": [{"name": "a", "url": "ws://x", "colour": "red"}]}))
    store = ProfileStore(tmp_path)
    store.load()
    assert store.get("a").url == "ws://x"


def test_default_dir_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_config_dir() == tmp_path / "realtime-inspector"


def _tls_profile(name="Staging") -> Profile:
    return Profile(name=name, url="wss://staging.test/api/v2/realtime", token_kind="env", token_env="RT_TOKEN",
                   cacert="/etc/ca/staging.pem", client_cert="/home/u/client.pem", client_key="/home/u/client.key",
                   insecure=True, headers=["X-Tenant: acme", "X-Trace:  t-1 "], origin="https://console.test",
                   subprotocols=["rt.v2"], proxy="http://proxy.corp:3128")


def test_connection_options_round_trip_as_paths_and_names(tmp_path):
    store = ProfileStore(tmp_path)
    store.add(_tls_profile())
    store.save()
    saved = json.loads(store.path.read_text())["profiles"][0]
    assert saved["cacert"] == "/etc/ca/staging.pem" and saved["client_key"] == "/home/u/client.key"
    assert saved["headers"] == ["X-Tenant: acme", "X-Trace:  t-1 "] and saved["insecure"] is True
    assert not any("pass" in key for key in saved)  # a key's passphrase is never stored
    again = ProfileStore(tmp_path)
    again.load()
    p = again.get("Staging")
    assert p == _tls_profile()
    options = p.connect_options("typed-passphrase")
    assert options.headers == (("X-Tenant", "acme"), ("X-Trace", "t-1"))
    assert options.cacert == "/etc/ca/staging.pem" and options.key_password == "typed-passphrase"
    assert options.subprotocols == ("rt.v2",) and options.proxy == "http://proxy.corp:3128"
    assert "typed-passphrase" not in repr(options) and "insecure=True" in repr(p)


def test_duplicated_profiles_do_not_share_header_lists(tmp_path):
    store = ProfileStore(tmp_path)
    store.add(_tls_profile())
    copy = store.duplicate("Staging")
    copy.headers.append("X-Other: 1")
    assert store.get("Staging").headers == ["X-Tenant: acme", "X-Trace:  t-1 "]


@pytest.mark.parametrize("change, message", [
    ({"headers": ["no colon here"]}, "a header is written 'Name: value'"),
    ({"headers": ["Sec-WebSocket-Key: x"]}, "is set by the WebSocket handshake"),
    ({"proxy": "socks5://p:1080"}, "the proxy must be an http://host:port URL"),
    ({"client_cert": "", "client_key": "/k.pem"}, "a client key needs its certificate"),
    ({"proxy": "http://p:3128", "no_proxy": True}, "--proxy and --no-proxy contradict each other"),
])
def test_unusable_connection_options_are_refused(change, message):
    p = _tls_profile()
    for key, value in change.items():
        setattr(p, key, value)
    with pytest.raises(ProfileError, match=message):
        p.validate()


def test_a_file_without_connection_options_loads_with_the_defaults(tmp_path):
    (tmp_path / "profiles.json").write_text(json.dumps(
        {"schema": SCHEMA_VERSION, "profiles": [{"name": "Old", "url": "wss://h/x", "token_kind": "env",
                                                  "token_env": "T"}]}))
    os.chmod(tmp_path / "profiles.json", 0o600)
    store = ProfileStore(tmp_path)
    store.load()
    p = store.get("Old")
    assert p.cacert == "" and p.headers == [] and p.insecure is False and p.connect_options().headers == ()
