"""How fast each desk decides, and how long what waits there has waited.

Plain Python over plain records, so that the figures the office shows are
tested without a database. A desk is a task's approver: the leader whose
task it is, whoever decided it (her delegate, for one). Times are in hours.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .rules import Decision

# Upper bounds of the ageing columns; what waits longer is in the last one.
AGE_LIMITS = (timedelta(days=1), timedelta(days=3), timedelta(days=7))
AGE_COLUMNS = ("under_1_day", "1_to_3_days", "3_to_7_days", "over_7_days")
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
    waiting: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AGE_COLUMNS, 0))
    oldest_waiting_hours: float | None = None

    @property
    def waiting_total(self) -> int:
        return sum(self.waiting.values())


@dataclass(frozen=True)
class Report:
    as_of: datetime
    levels: dict[int, Desk]
    approvers: dict[str, Desk]
    overall: Desk


def hours(span: timedelta) -> float:
    return round(span.total_seconds() / 3600, 1)


def age_column(age: timedelta) -> str:
    for limit, column in zip(AGE_LIMITS, AGE_COLUMNS, strict=False):
        if age < limit:
            return column
    return AGE_COLUMNS[-1]


def p90(values: list[float]) -> float:
    """The nearest-rank 90th percentile: nine in ten took no longer."""
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


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
        took.append((task.decided - task.opened).total_seconds() / 3600)
    row.escalated = sum(1 for _ in escalated)
    if took:
        row.median_hours = round(statistics.median(took), 1)
        row.p90_hours = round(p90(took), 1)
    oldest = None
    for task in waiting:
        age = now - task.opened
        row.waiting[age_column(age)] += 1
        oldest = age if oldest is None else max(oldest, age)
    if oldest is not None:
        row.oldest_waiting_hours = hours(oldest)
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
