"""Keep session tokens out of logs, output and anything written to disk.

Three layers, because websockets logs the request line (with ``?token=``) and every
request header (with ``Authorization``) at DEBUG:

- ``redacting_logger(name)``: a logger adapter handed to websockets as ``logger=``;
  it scrubs each record's arguments before the record exists.
- ``RedactFilter``: a logging filter for handlers, a second net for everything else.
- ``redact_url(url)``: a URL by structure (the ``token`` query value and userinfo masked,
  nothing else touched), for URLs we show or store.
- ``scrub(text)``: the last line of defence for free text (log lines, error messages).

Data is never scrubbed: topics, filters, payloads, hosts and profile names are stored and
shown as they are, because a token only travels in the Authorization header and the
``token`` query parameter. Tokens fetched by a TokenSource are registered here, so
``scrub`` also masks their exact value (and URL-encoded forms) where it stands as a whole
word of free text: a token ``dev`` is masked in "bad token dev" but not in "devices.eu".
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, MutableMapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

MASK = "***"

_lock = threading.Lock()
_secrets: set[str] = set()
_secrets_re: re.Pattern[str] | None = None

# "Authorization: Bearer abc", "authorization=Basic abc", "Bearer abc"
# (a value ends at whitespace, a separator, a quote or a bracket around it)
_AUTH_RE = re.compile(r"(?i)(authorization\s*[:=]\s*)(?:(bearer|basic)\s+)?[^\s,;'\"()<>\[\]{}]+")
_BEARER_RE = re.compile(r"(?i)\b(bearer\s+)[^\s,;'\"()<>\[\]{}]+")
# token=... in a query string or form
_QUERY_RE = re.compile(r"(?i)([?&;]token=)[^&#\s'\"()<>\[\]{}]*")
# A registered value only counts where it is not part of a longer word of token characters
# (RFC 6750 b64token); '=' may follow (base64 padding) but also precedes values (k=v).
_BEFORE = r"(?<![A-Za-z0-9\-._~+/%])"
_AFTER = r"(?![A-Za-z0-9\-._~+/=%])"


def register_secret(value: str | None) -> None:
    """Scrub this exact value (and its URL-encoded forms) from now on."""
    global _secrets_re
    if not value:
        return
    forms = {value, quote(value, safe=""), quote_plus(value, safe="")}
    with _lock:
        if forms <= _secrets:
            return
        _secrets.update(forms)
        alternatives = sorted(_secrets, key=len, reverse=True)
        _secrets_re = _whole_words(alternatives)


def forget_secrets() -> None:
    """Forget every registered value: the state of a fresh process, for one that runs several
    commands in turn (each command registers its own)."""
    global _secrets_re
    with _lock:
        _secrets.clear()
        _secrets_re = None


def _whole_words(values: Iterable[str]) -> re.Pattern[str]:
    return re.compile(_BEFORE + "(?:" + "|".join(re.escape(v) for v in values) + ")" + _AFTER)


def scrub(text: str, *extra: str | None) -> str:
    """Free ``text`` with every known secret, ``extra`` value, auth header and token= value
    masked. Only for log lines and messages we write; never for captured or typed data."""
    if not isinstance(text, str):
        text = str(text)
    forms = sorted({f for v in extra if v for f in (v, quote(v, safe=""), quote_plus(v, safe=""))},
                   key=len, reverse=True)
    if forms:
        text = _whole_words(forms).sub(MASK, text)
    pattern = _secrets_re
    if pattern is not None:
        text = pattern.sub(MASK, text)
    if "uthorization" in text or "UTHORIZATION" in text:
        text = _AUTH_RE.sub(lambda m: m.group(1) + (m.group(2) + " " if m.group(2) else "") + MASK, text)
    if "earer" in text or "EARER" in text:
        text = _BEARER_RE.sub(lambda m: m.group(1) + MASK, text)
    if "oken=" in text or "OKEN=" in text:
        text = _QUERY_RE.sub(lambda m: m.group(1) + MASK, text)
    return text


def redact_url(url: str) -> str:
    """``url`` with its userinfo and ``token`` query values masked, every other character kept.

    By structure only: hosts, paths and other parameters are not searched for secrets,
    so a URL is written exactly as it was dialled, less its credentials.
    """
    head, hash_, fragment = url.partition("#")
    rest, qmark, query = head.partition("?")
    scheme, sep, after = rest.partition("://")
    if sep:
        netloc, slash, path = after.partition("/")
        if "@" in netloc:
            netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
        rest = scheme + sep + netloc + slash + path
    if query:
        query = "&".join(_mask_token_param(p) for p in query.split("&"))
    return rest + qmark + query + hash_ + fragment


def _mask_token_param(pair: str) -> str:
    name, _, value = pair.partition("=")
    return name + "=" + MASK if value and unquote_plus(name).lower() == "token" else pair


_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


def _scrub_arg(arg: object) -> object:
    # Numbers and the like cannot hold a token; keep them so %d still formats.
    if isinstance(arg, (int, float)) or arg is None:
        return arg
    return scrub(str(arg))


class RedactingAdapter(logging.LoggerAdapter[logging.Logger]):
    """Logger adapter that scrubs the message, its arguments and any traceback."""

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.logger.isEnabledFor(level):
            return
        exc_info = kwargs.pop("exc_info", None)
        if exc_info:
            # Render the traceback now, scrubbed, instead of letting a handler print it raw.
            kwargs["exc_info"] = None
            import traceback
            if exc_info is True:
                import sys
                exc_info = sys.exc_info()
            elif isinstance(exc_info, BaseException):
                exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
            tb = "".join(traceback.format_exception(*exc_info))
            msg = f"{msg}\n{tb.rstrip()}"
        kwargs.setdefault("stacklevel", 2)
        if len(args) == 2 and isinstance(args[0], str) and args[0].lower() in _SECRET_HEADERS:
            args = (args[0], MASK)  # websockets logs each header as ("> %s: %s", name, value)
        self.logger.log(level, scrub(str(msg)), *(_scrub_arg(a) for a in args), **kwargs)

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        return msg, kwargs


def redacting_logger(name: str) -> RedactingAdapter:
    return RedactingAdapter(logging.getLogger(name), {})


class RedactFilter(logging.Filter):
    """Handler filter: rewrites each record's text with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is not our business
            message = str(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        record.exc_info = None
        record.msg = scrub(message)
        record.args = None
        return True


def install_on_root() -> RedactFilter:
    """Add a RedactFilter to every handler of the root logger (CLI --debug)."""
    flt = RedactFilter()
    for handler in logging.getLogger().handlers:
        handler.addFilter(flt)
    return flt
