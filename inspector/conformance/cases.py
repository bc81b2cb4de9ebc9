"""A case: an id, the rules it checks, what it needs, and the coroutine that runs it."""

from __future__ import annotations

import fnmatch
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

SLOW = "slow"  # waits on the protocol's long timers (runs with --slow)
PUBLISH = "publish"  # needs a way to publish (--control or --publish-command)
OPT_IN = "opt-in"  # runs only when named with --cases


class CaseCtx(Protocol):
    """What the runner needs of the context a case runs with: a way to end what the case left open."""

    async def cleanup(self) -> None: ...


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    rules: tuple[str, ...]
    # Takes its suite's context (the registry that made the case names its type; a list of cases does not);
    # returns a note for a pass, or raises traffic's outcomes.
    run: Callable[[Any], Awaitable[str | None]]
    needs: frozenset[str] = field(default_factory=frozenset)


CtxT = TypeVar("CtxT")


class Registry(Generic[CtxT]):
    """The cases of one suite, each run with the suite's context CtxT."""

    def __init__(self) -> None:
        self.cases: dict[str, Case] = {}

    def case(self, id: str, title: str, *rules: str,
             needs: Iterable[str] = ()) -> Callable[[Callable[[CtxT], Awaitable[str | None]]],
                                                    Callable[[CtxT], Awaitable[str | None]]]:
        def add(fn: Callable[[CtxT], Awaitable[str | None]]) -> Callable[[CtxT], Awaitable[str | None]]:
            if id in self.cases:
                raise ValueError(f"case {id} defined twice")
            self.cases[id] = Case(id, title, tuple(rules), fn, frozenset(needs))
            return fn
        return add

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases.values())


def matches(case: Case, patterns: Iterable[str]) -> bool:
    """Whether a case id or one of its rule ids matches one of the (glob) patterns, case-insensitively."""
    names = [case.id.lower(), *(r.lower() for r in case.rules)]
    return any(fnmatch.fnmatchcase(n, p.lower()) for p in patterns for n in names)


def select(cases: Iterable[Case], only: list[str] | None, exclude: list[str]) -> list[Case]:
    chosen = [c for c in cases if (not only or matches(c, only)) and not matches(c, exclude)]
    return chosen


def unknown_patterns(cases: Iterable[Case], patterns: Iterable[str]) -> list[str]:
    cases = list(cases)
    return [p for p in patterns if not any(matches(c, [p]) for c in cases)]


def read_exclude_file(text: str) -> list[str]:
    """One pattern per line; ``#`` starts a comment."""
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out
