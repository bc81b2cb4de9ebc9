"""Judging free text a server writes (an ERROR's message, a Link header) by what it says,
not by one way of saying it."""

from __future__ import annotations

import re

# a number that marks a place, not just any digit (an error code, or the request id echoed back)
_POSITION = re.compile(r"\b(?:position|pos|column|col|offset|char(?:acter)?|index|line|at)\s*:?\s*\d+|"
                       r"\b\d+:\d+\b", re.I)
# a line that only marks a place: spaces, then ^ (or ~~~^ as some parsers draw it)
_CARET_LINE = re.compile(r"^[ \t]*[~^]*\^[~^]*[ \t]*$", re.M)
_AT_END = re.compile(r"\b(?:at the end|end of (?:the )?(?:expression|input|filter|string|text)|"
                     r"incomplete expression|unexpected end)\b", re.I)
_AT_TOKEN = re.compile(r"""\b(?:near|at|before|after|token)\s+(?:["'`][^"'`]+["'`])""", re.I)


def says_where(message: str) -> bool:
    """Does an invalid_filter message say where the filter failed? A position (a number), a
    caret line under the expression (the JMESPath library's own text), the end of the input,
    or the offending token quoted all do."""
    lines = message.splitlines()
    caret = any(_CARET_LINE.match(line) for line in lines[1:])  # under something
    return bool(_POSITION.search(message) or caret or _AT_END.search(message) or _AT_TOKEN.search(message))


# a link's parameters; a quoted value may hold ; and , (RFC 8288)
_LINK_VALUE = re.compile(r"""<[^>]*>((?:\s*;\s*(?:[^;,"<]|"[^"]*")+)*)""")
_REL = re.compile(r"""^\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.I)


def has_help_link(values: list[str]) -> bool:
    """Do these Link header values (RFC 8288) hold a link whose rel includes "help"? The rel
    may come after other parameters and list several relation types."""
    for value in values:
        for link in _LINK_VALUE.finditer(value):
            for param in link.group(1).split(";"):
                m = _REL.match(param)
                if m and "help" in (m.group(1) or m.group(2) or "").lower().split():
                    return True
    return False
