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
