"""The approval rules, in plain Python: who approves a request, in which
order, who may decide in whose place, and what a decision may change.

The chain of command is: the requester's department head, then the office
director, then the administrators. Nobody ever approves her own request,
and nobody approves one request twice in a round, so "two levels" always
means two people.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from procurement_common.events import ADMINISTRATORS

# The top of the line: anyone holding the admin role. It approves the
# director's own requests, because nobody in the office ranks above her.
ADMINS = ADMINISTRATORS


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"


class TaskStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    CANCELLED = "cancelled"
    ESCALATED = "escalated"


OUTCOME = {
    Decision.APPROVE: TaskStatus.APPROVED,
    Decision.REJECT: TaskStatus.REJECTED,
    Decision.RETURN: TaskStatus.RETURNED,
}


class NotAllowed(Exception):
    """This person may not do this (HTTP 403)."""


class Conflict(Exception):
    """The task's state forbids it (HTTP 409)."""


class Invalid(ValueError):
    """A field of the decision or delegation is wrong (HTTP 422)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Policy:
    version: int
    director_threshold: Decimal
    set_by: str
    set_at: datetime | None


# In force until an administrator sets a policy: the contract's demo value,
# so a fresh production install routes sensibly before anyone touches it.
DEFAULT_POLICY = Policy(
    version=0, director_threshold=Decimal("1000.00"), set_by="default", set_at=None
)


def _ladder(*rungs: str | None) -> list[str]:
    """The named rungs, in order, each once."""
    seen: list[str] = []
    for rung in rungs:
        if rung and rung not in seen:
            seen.append(rung)
    return seen


def route(
    requester: str,
    department_head: str | None,
    director: str | None,
    total: Decimal,
    director_threshold: Decimal,
) -> list[str]:
    """The approvers of a request, level 1 first, each deciding after the one before.

    A request starts with the rung above the requester on the ladder (her
    department head, or higher when she is the head). Above the threshold
    the director must approve too, unless she already does, or is the
    requester, in which case the administrators above her already do.
    """
    senior = director or ADMINS
    ladder = _ladder(department_head, senior, ADMINS)
    if requester in ladder:
        ladder = ladder[ladder.index(requester) + 1 :]
    approvers = ladder[:1]
    if total > director_threshold and senior in ladder and senior not in approvers:
        approvers.append(senior)
    return approvers


def escalation_target(approver: str, requester: str, director: str | None) -> str | None:
    """Who takes over a task left idle too long: the next rung above its approver.

    The administrators are the top; their tasks are reminded, never escalated.
    """
    above = [rung for rung in _ladder(director, ADMINS) if rung != requester]
    if approver in above:
        above = above[above.index(approver) + 1 :]
    return above[0] if above else None


def next_level(route_: list[str], decided_level: int, approved_for: set[str]) -> int | None:
    """The level after ``decided_level`` still to approve, or None when all have.

    A level whose approver has already approved this round (an escalated
    task reached her early) counts as done: one person approves once.
    """
    for level in range(decided_level + 1, len(route_) + 1):
        if route_[level - 1] not in approved_for:
            return level
    return None


@dataclass(frozen=True)
class Actor:
    username: str
    is_admin: bool


def acting_for(
    actor: Actor,
    approver: str,
    requester: str,
    delegators: Iterable[str],
    approved_earlier_by: Iterable[str],
) -> str | None:
    """Check that ``actor`` may decide a task of ``approver``; say for whom she acts.

    ``delegators`` are the leaders whose delegation to the actor runs today;
    ``approved_earlier_by`` the people who approved earlier levels this round.
    """
    if actor.username == requester:
        raise NotAllowed("You cannot decide your own request.")
    if actor.username in approved_earlier_by:
        raise NotAllowed(
            "You already approved this request at an earlier level; "
            "another person must approve this one."
        )
    if actor.username == approver or (approver == ADMINS and actor.is_admin):
        return None
    if approver in delegators:
        return approver
    raise NotAllowed(f"This task is for {approver}; only she or her delegate can decide it.")


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int  # asked for
    allowed: int  # the most this level may approve: what the level before approved


def approved_quantities(lines: Iterable[Line], cuts: Mapping[str, int]) -> dict[str, int]:
    """The quantities an approval grants: each line as allowed, unless cut."""
    lines = list(lines)
    known = {line.sku for line in lines}
    for sku in cuts:
        if sku not in known:
            raise Invalid("lines", f"{sku} is not on this request.")
    granted = {}
    for line in lines:
        quantity = cuts.get(line.sku, line.allowed)
        if quantity < 0:
            raise Invalid("lines", f"The approved quantity of {line.sku} cannot be negative.")
        if quantity > line.allowed:
            raise Invalid(
                "lines",
                f"{line.sku}: {quantity} is more than the {line.allowed} that can be approved; "
                "a quantity can only be cut.",
            )
        granted[line.sku] = quantity
    if not any(granted.values()):
        raise Invalid("lines", "Every quantity is cut to 0: reject the request instead.")
    return granted


def check_decision(
    decision: Decision, comment: str, lines: Iterable[Line], cuts: Mapping[str, int]
) -> dict[str, int] | None:
    """Validate a decision; for an approval, give the quantities it grants."""
    if decision == Decision.APPROVE:
        return approved_quantities(lines, cuts)
    if not comment.strip():
        raise Invalid("comment", f"Say why: a {decision.value} needs a comment.")
    if cuts:
        raise Invalid("lines", "Only an approval can cut quantities.")
    return None


@dataclass(frozen=True)
class Earlier:
    """The decision already taken on a task."""

    decision: Decision
    granted: Mapping[str, int] | None


def is_repeat(
    status: TaskStatus,
    earlier: Earlier | None,
    decision: Decision,
    granted: Mapping[str, int] | None,
) -> bool:
    """True when the task is decided exactly so already; refuse any other change.

    A pending task is no repeat: the decision is new.
    """
    if status == TaskStatus.PENDING:
        return False
    if earlier is not None and earlier.decision == decision and earlier.granted == granted:
        return True
    if status == TaskStatus.CANCELLED:
        raise Conflict("The request was withdrawn; this task is closed.")
    if status == TaskStatus.ESCALATED:
        raise Conflict("This task was escalated to the next level; it is no longer yours.")
    raise Conflict(f"This task is already {status.value}; a different decision is not possible.")


@dataclass(frozen=True)
class Span:
    starts: date
    ends: date

    def overlaps(self, other: Span) -> bool:
        return self.starts <= other.ends and other.starts <= self.ends

    def covers(self, day: date) -> bool:
        return self.starts <= day <= self.ends


def ends_now(leader: str, actor: Actor, span: Span, today: date, already_ended: bool) -> bool:
    """Whether ``actor`` ending a delegation ends it now: not if it already was.

    Only the leader who gave it, or an administrator, may end it, and not
    once it is over; ending one that has not started yet cancels it.
    """
    if actor.username != leader and not actor.is_admin:
        raise NotAllowed(f"Only {leader} or an administrator can end this delegation.")
    if already_ended:
        return False
    if span.ends < today:
        raise Conflict(f"This delegation was over on {span.ends}.")
    return True


def may_end(leader: str, actor: Actor, span: Span, today: date, already_ended: bool) -> bool:
    """Whether to offer ``actor`` to end a delegation: ending it would end it now."""
    try:
        return ends_now(leader, actor, span, today, already_ended)
    except (NotAllowed, Conflict):
        return False


def check_delegation(
    leader: str,
    delegate: str,
    span: Span,
    today: date,
    known_approvers: Iterable[str],
    leaders_spans: Iterable[Span],
    delegates_spans: Iterable[Span],
) -> None:
    """Refuse a delegation that is backwards, over, to oneself, to a non-leader,
    or that overlaps the leader's own delegations or a time the delegate is away."""
    if span.ends < span.starts:
        raise Invalid("ends", "The delegation ends before it starts.")
    if span.ends < today:
        raise Invalid("ends", "The delegation would already be over.")
    if delegate == leader:
        raise Invalid("delegate", "You cannot delegate to yourself.")
    if delegate not in set(known_approvers):
        raise Invalid("delegate", f"{delegate} is not a leader who approves requests.")
    for other in leaders_spans:
        if other.overlaps(span):
            raise Conflict(
                f"You already delegate from {other.starts} to {other.ends}; "
                "delegations cannot overlap."
            )
    for other in delegates_spans:
        if other.overlaps(span):
            raise Conflict(
                f"{delegate} is away herself from {other.starts} to {other.ends} "
                "(she has delegated her own tasks) and cannot cover for you then."
            )
