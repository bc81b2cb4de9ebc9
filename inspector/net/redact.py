"""Keep session tokens out of logs, output and anything written to disk.

Three layers, because websockets logs the request line (with ``?token=``) and every
request header (with ``Authorization``) at DEBUG:

- ``redacting_logger(name)``: a logger adapter handed to websockets as ``logger=``;
  it scrubs each record's arguments before the record exists.
- ``RedactFilter``: a logging filter for handlers, a second net for everything else.
- ``scrub(text)`` / ``redact_url(url)``: for messages and URLs we display ourselves.

Tokens fetched by a TokenSource are registered here, so their exact bytes (and their
URL-encoded form) are scrubbed wherever they turn up, not only after known markers.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus, urlencode, urlsplit, urlunsplit

MASK = "***"

_lock = threading.Lock()
_secrets: set[str] = set()
_secrets_re: re.Pattern[str] | None = None

# "Authorization: Bearer abc", "authorization=Basic abc", "Bearer abc"
_AUTH_RE = re.compile(r"(?i)(authorization\s*[:=]\s*)(?:(bearer|basic)\s+)?[^\s,;'\"]+")
_BEARER_RE = re.compile(r"(?i)\b(bearer\s+)[^\s,;'\"]+")
# token=... in a query string or form (stops at & # whitespace or a quote)
_QUERY_RE = re.compile(r"(?i)([?&;]token=)[^&#\s'\"]*")
_MIN_SECRET = 3  # scrubbing 1-2 character "secrets" would mangle every message


def register_secret(value: str | None) -> None:
    """Scrub this exact value (and its URL-encoded forms) from now on."""
    global _secrets_re
    if not value or len(value) < _MIN_SECRET:
        return
    forms = {value, quote(value, safe=""), quote_plus(value, safe="")}
    with _lock:
        if forms <= _secrets:
            return
        _secrets.update(forms)
        alternatives = sorted(_secrets, key=len, reverse=True)
        _secrets_re = re.compile("|".join(re.escape(s) for s in alternatives))


def scrub(text: str, *extra: str | None) -> str:
    """``text`` with every known secret, ``extra`` value, auth header and token= value masked."""
    if not isinstance(text, str):
        text = str(text)
    for value in extra:
        if value and len(value) >= _MIN_SECRET:
            for form in (value, quote(value, safe=""), quote_plus(value, safe="")):
                text = text.replace(form, MASK)
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
    """A URL safe to display or write: ``token`` query values and userinfo masked."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode([(k, MASK if k.lower() == "token" else v) for k, v in pairs], safe="*")
        return scrub(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))
    except ValueError:
        return scrub(url)


def mask_url(url: str) -> str:
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


def _scrub_arg(arg: object) -> object:
    # Numbers and the like cannot hold a token; keep them so %d still formats.
    if isinstance(arg, (int, float)) or arg is None:
        return arg
    return scrub(str(arg))


class RedactingAdapter(logging.LoggerAdapter):
    """Logger adapter that scrubs the message, its arguments and any traceback."""

    def log(self, level, msg, *args, **kwargs):  # noqa: D102 - logging API
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
        self.logger.log(level, scrub(str(msg)), *(_scrub_arg(a) for a in args), **kwargs)

    def process(self, msg, kwargs):
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
