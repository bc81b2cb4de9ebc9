"""Subscription filters: JMESPath expressions evaluated against the EVENT body.

A message event is delivered when the result is truthy in JMESPath's sense
(not false, null, "", [], {}). Presence events are never filtered; that rule
lives with the server, this module only compiles and evaluates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jmespath
from jmespath import exceptions as jmes_errors


class FilterError(ValueError):
    """A filter that does not parse. ``position`` is the 0-based column, or None."""

    def __init__(self, expression: str, message: str, position: int | None):
        self.expression = expression
        self.message = message
        self.position = position
        where = f" at column {position}" if position is not None else ""
        super().__init__(f"{message}{where}")


@dataclass(frozen=True, slots=True)
class CompiledFilter:
    expression: str
    _parsed: Any

    def matches(self, body: dict[str, Any]) -> bool:
        """Evaluate against an EVENT body; a runtime error counts as no match."""
        try:
            result = self._parsed.search(body)
        except jmes_errors.JMESPathError:
            return False
        except (TypeError, ValueError, RecursionError):
            return False
        return is_truthy(result)


def is_truthy(value: Any) -> bool:
    """JMESPath truthiness: false, null, empty string, list and object are false."""
    if value is None or value is False:
        return False
    return not (isinstance(value, (str, list, dict)) and not value)


def compile_filter(expression: str | None) -> CompiledFilter | None:
    """Compile a filter. None or "" means every event (returns None).

    Raises FilterError with the position of the problem when it does not parse.
    """
    if expression is None or expression == "":
        return None
    if not isinstance(expression, str):
        raise FilterError(str(expression), "filter must be a string", None)
    try:
        parsed = jmespath.compile(expression)
    except jmes_errors.IncompleteExpressionError:
        raise FilterError(expression, "incomplete expression", len(expression)) from None
    except jmes_errors.LexerError as exc:
        raise FilterError(expression, _lexer_message(exc), exc.lex_position) from None
    except jmes_errors.ParseError as exc:
        token = exc.token_value
        msg = f"unexpected {token!r}" if token not in (None, "") else "syntax error"
        raise FilterError(expression, msg, exc.lex_position) from None
    except (jmes_errors.JMESPathError, RecursionError, ValueError, TypeError) as exc:
        raise FilterError(expression, f"invalid expression ({type(exc).__name__})", None) from None
    return CompiledFilter(expression, parsed)


def filter_error(expression: str | None) -> FilterError | None:
    """The FilterError for ``expression``, or None when it compiles."""
    try:
        compile_filter(expression)
    except FilterError as exc:
        return exc
    return None


def _lexer_message(exc: jmes_errors.LexerError) -> str:
    text = str(getattr(exc, "message", "") or "")
    # jmespath's lexer message is e.g. "Unclosed ` delimiter"; keep just that line.
    first = text.splitlines()[0] if text else "bad token"
    if ":" in first:
        first = first.split(":", 1)[-1].strip() or first
    return first
