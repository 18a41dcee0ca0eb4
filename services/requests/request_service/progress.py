"""How long requests spend at each stage, and how long the open ones have waited.

Plain Python over a request's history (its statuses, in the order they
happened), so that the figures the office shows are tested without a
database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from procurement_common.reporting import Ages, Period, median_hours, p90_hours

from .domain import Status


@dataclass(frozen=True)
class Stage:
    name: str
    label: str
    starts: frozenset[Status]
    ends: frozenset[Status]


def _stage(name: str, label: str, starts: set[Status], ends: set[Status]) -> Stage:
    return Stage(name, label, frozenset(starts), frozenset(ends))


# Time spent backordered counts in the reservation: it ends when stock is held.
STAGES = (
    _stage(
        "approval",
        "Asked → decided",
        {Status.SUBMITTED},
        {Status.APPROVED, Status.REJECTED, Status.RETURNED},
    ),
    _stage("reservation", "Approved → reserved", {Status.APPROVED}, {Status.RESERVED}),
    _stage("hand_out", "Reserved → handed out", {Status.RESERVED}, {Status.ISSUED}),
    _stage("receipt", "Handed out → receipt confirmed", {Status.ISSUED}, {Status.RECEIVED}),
    # A returned request's first submission counts: its requester has waited since.
    _stage("whole", "Asked → handed out", {Status.SUBMITTED}, {Status.ISSUED}),
)
# Statuses in which a request waits for someone: the requester after a return.
WAITING = (
    Status.SUBMITTED,
    Status.RETURNED,
    Status.APPROVED,
    Status.BACKORDERED,
    Status.RESERVED,
    Status.ISSUED,
)
# Closing a request abandons whatever stage it was in.
_ABANDON = frozenset({Status.CANCELLED, Status.REJECTED})


@dataclass(frozen=True)
class Span:
    stage: str
    started: datetime
    ended: datetime


@dataclass(frozen=True)
class Open:
    """A request still on its way: its status, since when."""

    status: Status
    since: datetime


def spans(history: Iterable[tuple[Status, datetime]]) -> list[Span]:
    """Each stage a request went through, from the first status that starts
    it to the next that ends it."""
    started: dict[str, datetime] = {}
    done = []
    for status, at in history:
        for stage in STAGES:
            if stage.name in started and status in stage.ends:
                done.append(Span(stage.name, started.pop(stage.name), at))
            elif stage.name not in started and status in stage.starts:
                started[stage.name] = at
        if status in _ABANDON:
            started.clear()
    return done


@dataclass(frozen=True)
class StageFigures:
    stage: Stage
    completed: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class Progress:
    stages: list[StageFigures]
    waiting: dict[Status, Ages]
    as_of: datetime


def progress(
    histories: Iterable[list[tuple[Status, datetime]]],
    still_open: Iterable[Open],
    period: Period,
    now: datetime,
) -> Progress:
    """The stages finished in the period, and the open requests by status and age."""
    took: dict[str, list[timedelta]] = {stage.name: [] for stage in STAGES}
    for history in histories:
        for span in spans(history):
            if period.start <= span.ended < period.end:
                took[span.stage].append(span.ended - span.started)
    ages: dict[Status, list[timedelta]] = {status: [] for status in WAITING}
    for request in still_open:
        ages[request.status].append(now - request.since)
    return Progress(
        stages=[
            StageFigures(
                stage,
                len(took[stage.name]),
                median_hours(took[stage.name]),
                p90_hours(took[stage.name]),
            )
            for stage in STAGES
        ],
        waiting={status: Ages.of(found) for status, found in ages.items()},
        as_of=now,
    )
