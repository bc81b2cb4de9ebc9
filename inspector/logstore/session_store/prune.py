"""Keep the sessions folder under a disk budget: the oldest closed sessions go first.

``plan_prune`` is the policy, a pure function over a listing; ``prune`` lists, plans and
removes. An open session (its writer holds the lock) and a kept one are never removed;
when those alone exceed the budget the plan says so (``over_budget``) for the app to show.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass

from inspector.logstore.session_store.layout import SessionInfo, is_locked, list_sessions

DEFAULT_BUDGET = 2 * 1024**3


@dataclass(frozen=True)
class PrunePlan:
    remove: tuple[SessionInfo, ...]
    total_before: int
    total_after: int
    budget: int

    @property
    def over_budget(self) -> bool:
        """Even after the removals the sessions take more than the budget."""
        return self.total_after > self.budget


def plan_prune(sessions: Sequence[SessionInfo], budget: int) -> PrunePlan:
    """Which sessions to remove so the rest fit in ``budget`` bytes: closed, not kept, oldest first."""
    total = sum(s.size for s in sessions)
    after = total
    remove = []
    for s in sorted(sessions, key=lambda s: s.created):
        if after <= budget:
            break
        if s.kept or s.is_open:
            continue
        remove.append(s)
        after -= s.size
    return PrunePlan(tuple(remove), total, after, budget)


def prune(data_dir: str | os.PathLike[str], budget: int = DEFAULT_BUDGET) -> PrunePlan:
    """Remove what ``plan_prune`` picks. A session that opened since the listing is spared."""
    plan = plan_prune(list_sessions(data_dir), budget)
    removed = []
    for s in plan.remove:
        if is_locked(s.path):
            continue
        shutil.rmtree(s.path, ignore_errors=True)
        removed.append(s)
    after = plan.total_before - sum(s.size for s in removed)
    return PrunePlan(tuple(removed), plan.total_before, after, budget)
