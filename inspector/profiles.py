"""Connection profiles and their JSON file (no Qt, no network).

A profile names a server and how to authenticate to it. The file lives in
platformdirs' user config folder; the folder is 0700 and the file 0600 because a
literal token, when the user chooses one, is stored in it. Environment-variable
and command token sources store only the variable name or the command.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from inspector.private_files import FILE_MODE, make_private_dir

if TYPE_CHECKING:
    from inspector.client.model import ConnectOptions

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
APP_NAME = "realtime-inspector"
FILE_NAME = "profiles.json"
LOCAL_MOCK = "Local mock"
DEMO_TOPICS = ("ticker", "orders.eu", "orders.us", "chat.lobby")

TOKEN_KINDS = ("literal", "env", "command")
AUTH_PLACES = ("header", "query")
PROFILE_KINDS = ("client", "proxy")  # a proxy profile's url is its upstream


class ProfileError(ValueError):
    """A profile or profile file that cannot be used; the message says why."""


@dataclass
class Subscription:
    topic: str
    filter: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"topic": self.topic}
        if self.filter:
            out["filter"] = self.filter
        return out


@dataclass
class Profile:
    name: str
    url: str = ""
    token_kind: str = "literal"   # literal | env | command
    token: str = field(default="", repr=False)  # literal token (secret)
    token_env: str = ""           # environment variable name
    token_command: str = ""       # shell command printing the token
    auth: str = "header"          # header | query
    ping_interval: float = 5.0    # seconds between our PINGs; 0 = none
    auto_reconnect: bool = True
    embedded_mock: bool = False   # URL comes from the app's embedded mock server
    subscriptions: list[Subscription] = field(default_factory=list)
    # How to reach a real server (paths and names only: a key's passphrase is asked for, never stored)
    cacert: str = ""              # CA bundle added to the system's trust
    client_cert: str = ""         # mutual TLS
    client_key: str = ""
    insecure: bool = False        # skip certificate verification (shown loudly)
    headers: list[str] = field(default_factory=list)  # "Name: value" lines
    origin: str = ""
    subprotocols: list[str] = field(default_factory=list)
    proxy: str = ""               # http:// proxy URL; "" = the environment's
    no_proxy: bool = False
    asyncapi: str = ""            # the user's AsyncAPI document: EVENT data is checked against it
    decoders: dict[str, str] = field(default_factory=dict)  # topic glob -> decoder chain ("base64+msgpack")
    kind: str = "client"          # client | proxy (files without it hold client profiles)
    listen: str = "127.0.0.1:9000"  # proxy: where clients connect
    rules: list[str] = field(default_factory=list)  # proxy: rule lines ("MATCH -> ACTION")
    listen_self_signed: bool = False  # proxy: clients connect with wss://, a throwaway certificate's
    listen_cert: str = ""         # proxy: clients connect with wss://, this certificate (PEM) ...
    listen_key: str = ""          # ... and its key

    def connect_options(self, key_password: str | None = None) -> ConnectOptions:
        """The client's connection options; ProfileError when they cannot work."""
        from inspector.client.model import ConnectOptions, parse_header  # the client's: loaded once one connects
        try:
            headers = tuple(parse_header(h) for h in self.headers if h.strip())
            options = ConnectOptions(cacert=self.cacert or None, cert=self.client_cert or None,
                                     key=self.client_key or None, key_password=key_password,
                                     insecure=self.insecure, headers=headers, origin=self.origin or None,
                                     subprotocols=tuple(self.subprotocols), proxy=self.proxy or None,
                                     no_proxy=self.no_proxy)
            options.validate()
        except ValueError as exc:
            raise ProfileError(f"profile {self.name!r}: {exc}") from None
        return options

    def __repr__(self) -> str:  # never the token, even masked length
        return (f"Profile(name={self.name!r}, url={self.url!r}, token_kind={self.token_kind!r}, "
                f"auth={self.auth!r}, ping_interval={self.ping_interval!r}, "
                f"auto_reconnect={self.auto_reconnect!r}, embedded_mock={self.embedded_mock!r}, "
                f"subscriptions={len(self.subscriptions)}, insecure={self.insecure!r})")

    __str__ = __repr__

    def validate(self) -> None:
        """Raise ProfileError describing the first problem."""
        if not isinstance(self.name, str) or not self.name.strip():
            raise ProfileError("profile name is empty")
        if not self.embedded_mock and not str(self.url).startswith(("ws://", "wss://")):
            raise ProfileError(f"profile {self.name!r}: URL must start with ws:// or wss://")
        if _url_has_token(self.url):
            # the URL is saved and shown; the token belongs in the (masked) token field
            raise ProfileError(f"profile {self.name!r}: remove token= from the URL and use the token field "
                               "with placement 'query' instead")
        if self.token_kind not in TOKEN_KINDS:
            raise ProfileError(f"profile {self.name!r}: token source must be one of {', '.join(TOKEN_KINDS)}")
        if self.token_kind == "env" and not self.token_env:
            raise ProfileError(f"profile {self.name!r}: environment variable name is empty")
        if self.token_kind == "command" and not self.token_command:
            raise ProfileError(f"profile {self.name!r}: token command is empty")
        if self.auth not in AUTH_PLACES:
            raise ProfileError(f"profile {self.name!r}: token placement must be header or query")
        _check_kind(self)
        if not isinstance(self.ping_interval, (int, float)) or self.ping_interval < 0:
            raise ProfileError(f"profile {self.name!r}: ping interval must be a number ≥ 0")
        from inspector.protocol.filters import filter_error  # jmespath: not on the app's way to its window
        from inspector.protocol.topics import topic_error
        for sub in self.subscriptions:
            err = topic_error(sub.topic)
            if err:
                raise ProfileError(f"profile {self.name!r}: subscription {sub.topic!r}: {err}")
            ferr = filter_error(sub.filter)
            if ferr:
                raise ProfileError(f"profile {self.name!r}: filter for {sub.topic!r}: {ferr}")
        self.connect_options()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "subscriptions":
                value = [s.to_json() for s in value]
            out[f.name] = value
        return out

    @classmethod
    def from_json(cls, obj: Any) -> Profile:
        if not isinstance(obj, dict):
            raise ProfileError("a profile entry is not a JSON object")
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in obj.items():
            if key not in known:
                continue  # written by a newer version; ignore rather than fail
            if key == "subscriptions":
                if not isinstance(value, list):
                    raise ProfileError("'subscriptions' must be a list")
                value = [_sub_from_json(v) for v in value]
            kwargs[key] = value
        if "name" not in kwargs:
            raise ProfileError("a profile has no name")
        _check_field_types(kwargs)
        profile = cls(**kwargs)
        profile.validate()
        return profile


_SCALAR_TYPES: tuple[tuple[str, type], ...] = (
    ("name", str), ("url", str), ("token_kind", str), ("token", str), ("token_env", str), ("token_command", str),
    ("auth", str), ("auto_reconnect", bool), ("embedded_mock", bool), ("cacert", str), ("client_cert", str),
    ("client_key", str), ("insecure", bool), ("origin", str), ("proxy", str), ("no_proxy", bool), ("asyncapi", str),
    ("kind", str), ("listen", str), ("listen_self_signed", bool), ("listen_cert", str), ("listen_key", str))


def _check_field_types(kwargs: dict[str, Any]) -> None:
    """ProfileError when a field read from JSON has a type the Profile cannot hold."""
    for key, typ in _SCALAR_TYPES:
        if key in kwargs and not isinstance(kwargs[key], typ):
            raise ProfileError(f"profile field {key!r} has the wrong type")
    for key in ("headers", "subprotocols", "rules"):
        value = kwargs.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ProfileError(f"profile field {key!r} must be a list of strings")
    decoders = kwargs.get("decoders", {})
    if not isinstance(decoders, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in decoders.items()):
        raise ProfileError("profile field 'decoders' must map topic globs to decoder names")
    pi = kwargs.get("ping_interval", 5.0)
    if isinstance(pi, bool) or not isinstance(pi, (int, float)):
        raise ProfileError("profile field 'ping_interval' must be a number")


def _check_kind(profile: Profile) -> None:
    if profile.kind not in PROFILE_KINDS:
        raise ProfileError(f"profile {profile.name!r}: kind must be client or proxy")
    host, _, port = profile.listen.rpartition(":")
    if profile.kind == "proxy" and not (host and port.isdigit() and int(port) < 65536):
        raise ProfileError(f"profile {profile.name!r}: listen address {profile.listen!r} is not HOST:PORT")
    if profile.listen_key and not profile.listen_cert:
        raise ProfileError(f"profile {profile.name!r}: the listener's key needs its certificate")
    if profile.listen_self_signed and profile.listen_cert:
        raise ProfileError(f"profile {profile.name!r}: the listener has a certificate or a self-signed one, not both")


def _url_has_token(url: str) -> bool:
    try:
        query = urlsplit(url).query
    except ValueError:
        return False
    return any(key.lower() == "token" for key, _ in parse_qsl(query, keep_blank_values=True))


def _sub_from_json(obj: Any) -> Subscription:
    if not isinstance(obj, dict) or not isinstance(obj.get("topic"), str):
        raise ProfileError("a subscription entry needs a 'topic' string")
    flt = obj.get("filter")
    if flt is not None and not isinstance(flt, str):
        raise ProfileError("a subscription 'filter' must be a string")
    return Subscription(obj["topic"], flt or None)


def local_mock_profile() -> Profile:
    """The first-run profile: the embedded mock, its demo topics, a 1 s ping."""
    return Profile(
        name=LOCAL_MOCK,
        url="",
        token_kind="literal",
        token="local-mock",  # the embedded mock accepts any token; not a secret
        ping_interval=1.0,
        embedded_mock=True,
        subscriptions=[Subscription(t) for t in DEMO_TOPICS],
    )


def default_config_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME))


def default_data_dir() -> Path:
    """Where sessions, recordings and TLS exceptions are kept."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME))


class ProfileStore:
    """An ordered set of uniquely named profiles, saved to ``<dir>/profiles.json``."""

    def __init__(self, directory: str | os.PathLike[str] | None = None):
        self.directory = Path(directory) if directory is not None else default_config_dir()
        self.path = self.directory / FILE_NAME
        self._profiles: list[Profile] = []

    # ------------------------------------------------------------ queries
    def __len__(self) -> int:
        return len(self._profiles)

    def __iter__(self) -> Iterator[Profile]:
        return iter(list(self._profiles))

    def names(self) -> list[str]:
        return [p.name for p in self._profiles]

    def get(self, name: str) -> Profile | None:
        for p in self._profiles:
            if p.name == name:
                return p
        return None

    def unique_name(self, base: str) -> str:
        if self.get(base) is None:
            return base
        n = 2
        while self.get(f"{base} ({n})") is not None:
            n += 1
        return f"{base} ({n})"

    # ------------------------------------------------------------ edits
    def add(self, profile: Profile) -> Profile:
        profile.validate()
        if self.get(profile.name) is not None:
            raise ProfileError(f"a profile named {profile.name!r} already exists")
        self._profiles.append(profile)
        return profile

    def update(self, name: str, profile: Profile) -> Profile:
        """Replace profile ``name`` with ``profile`` (which may carry a new name)."""
        profile.validate()
        idx = self._index(name)
        if profile.name != name and self.get(profile.name) is not None:
            raise ProfileError(f"a profile named {profile.name!r} already exists")
        self._profiles[idx] = profile
        return profile

    def duplicate(self, name: str) -> Profile:
        src = self._profiles[self._index(name)]
        copy = replace(src, name=self.unique_name(f"{src.name} copy"),
                       subscriptions=[replace(s) for s in src.subscriptions],
                       headers=list(src.headers), subprotocols=list(src.subprotocols),
                       decoders=dict(src.decoders))
        self._profiles.insert(self._index(name) + 1, copy)
        return copy

    def rename(self, old: str, new: str) -> Profile:
        new = new.strip()
        if not new:
            raise ProfileError("profile name is empty")
        idx = self._index(old)
        if new != old and self.get(new) is not None:
            raise ProfileError(f"a profile named {new!r} already exists")
        self._profiles[idx].name = new
        return self._profiles[idx]

    def delete(self, name: str) -> None:
        del self._profiles[self._index(name)]

    def _index(self, name: str) -> int:
        for i, p in enumerate(self._profiles):
            if p.name == name:
                return i
        raise ProfileError(f"no profile named {name!r}")

    # ------------------------------------------------------------ file
    def reset_defaults(self) -> None:
        """The first-run profile set, without touching the file."""
        self._profiles = [local_mock_profile()]

    def load(self) -> None:
        """Read the file. A missing file gives the first-run profile set.

        Raises ProfileError (and keeps the current profiles) when the file is
        unreadable, not JSON, of a newer schema, or holds an invalid profile.
        """
        if not self.path.exists():
            self.reset_defaults()
            return
        self._make_private()
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(f"cannot read {self.path}: {exc}") from None
        import json  # read when the profiles are, not at import: the app's window paints first

        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise ProfileError(f"{self.path} is not valid JSON: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("profiles"), list):
            raise ProfileError(f"{self.path} has no 'profiles' list")
        schema = doc.get("schema")
        if not isinstance(schema, int) or isinstance(schema, bool):
            raise ProfileError(f"{self.path} has no schema version")
        if schema > SCHEMA_VERSION:
            raise ProfileError(f"{self.path} was written by a newer version (schema {schema})")
        loaded: list[Profile] = []
        seen: set[str] = set()
        for entry in doc["profiles"]:
            p = Profile.from_json(entry)
            if p.name in seen:
                raise ProfileError(f"{self.path}: profile name {p.name!r} appears twice")
            seen.add(p.name)
            loaded.append(p)
        self._profiles = loaded

    def _make_private(self) -> None:
        """A profile file others can read (copied in, or an old umask) is tightened to 0600."""
        try:
            mode = stat.S_IMODE(self.path.stat().st_mode)
            if mode & 0o077:
                os.chmod(self.path, FILE_MODE)
                log.warning("%s was readable by others (mode %04o); it is now 0600", self.path, mode)
        except OSError as exc:
            raise ProfileError(f"{self.path} is readable by others and cannot be made private: "
                               f"{exc.strerror or exc}") from None

    def save(self) -> None:
        """Write atomically: a 0600 temp file in the 0700 folder, then rename."""
        import json

        make_private_dir(self.directory)
        doc = {"schema": SCHEMA_VERSION, "profiles": [p.to_json() for p in self._profiles]}
        data = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        fd, tmp = tempfile.mkstemp(prefix=".profiles-", suffix=".tmp", dir=self.directory)
        try:
            if hasattr(os, "fchmod"):  # mkstemp already uses 0600; be explicit
                os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        os.chmod(self.path, 0o600)
