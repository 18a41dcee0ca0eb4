"""How fast each desk decides, and how long what waits there has waited.

Plain Python over plain records, so that the figures the office shows are
tested without a database. A desk is a task's approver: the leader whose
task it is, whoever decided it (her delegate, for one). Times are in hours.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from procurement_common.reporting import Ages, median_hours, p90_hours

from .rules import Decision

OUTCOME_COLUMN = {
    Decision.APPROVE: "approved",
    Decision.REJECT: "rejected",
    Decision.RETURN: "returned",
}


@dataclass(frozen=True)
class Decided:
    """A task decided in the period."""

    approver: str
    level: int
    decision: Decision
    delegate: bool  # decided by someone acting for the approver
    opened: datetime
    decided: datetime


@dataclass(frozen=True)
class Escalated:
    """A task taken from its desk in the period, left idle too long."""

    approver: str
    level: int


@dataclass(frozen=True)
class Waiting:
    """A task pending now."""

    approver: str
    level: int
    opened: datetime


@dataclass
class Desk:
    """One row of the report: a level of approval, an approver, or all of them."""

    decided: int = 0
    approved: int = 0
    rejected: int = 0
    returned: int = 0
    by_delegate: int = 0
    escalated: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None
    waiting: Ages = field(default_factory=lambda: Ages.of([]))


@dataclass(frozen=True)
class Report:
    as_of: datetime
    levels: dict[int, Desk]
    approvers: dict[str, Desk]
    overall: Desk


def desk(
    decided: Iterable[Decided],
    escalated: Iterable[Escalated],
    waiting: Iterable[Waiting],
    now: datetime,
) -> Desk:
    row = Desk()
    took = []
    for task in decided:
        row.decided += 1
        column = OUTCOME_COLUMN[task.decision]
        setattr(row, column, getattr(row, column) + 1)
        row.by_delegate += task.delegate
        took.append(task.decided - task.opened)
    row.escalated = sum(1 for _ in escalated)
    row.median_hours, row.p90_hours = median_hours(took), p90_hours(took)
    row.waiting = Ages.of([now - task.opened for task in waiting])
    return row


def report(
    decided: list[Decided], escalated: list[Escalated], waiting: list[Waiting], now: datetime
) -> Report:
    """The period's decisions and escalations, and what waits now, by level and by approver."""

    def by(key: Callable[[Decided | Escalated | Waiting], Hashable]) -> dict:
        groups = defaultdict(lambda: ([], [], []))
        for kind, tasks in enumerate((decided, escalated, waiting)):
            for task in tasks:
                groups[key(task)][kind].append(task)
        return {value: desk(*groups[value], now) for value in sorted(groups)}

    return Report(
        as_of=now,
        levels=by(lambda task: task.level),
        approvers=by(lambda task: task.approver),
        overall=desk(decided, escalated, waiting, now),
    )
