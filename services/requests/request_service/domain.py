"""The rules of a supply request, in plain Python.

A request moves forward through its life; events from other services may
arrive late, twice or out of order, so a status only ever moves forward and
an event that would move it back only adds to the history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Status(StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    APPROVED = "approved"
    RESERVED = "reserved"
    BACKORDERED = "backordered"
    ISSUED = "issued"
    RECEIVED = "received"


# How far along the happy path a status is.
_PROGRESS = {
    Status.SUBMITTED: 0,
    Status.APPROVED: 1,
    Status.BACKORDERED: 2,
    Status.RESERVED: 3,
    Status.ISSUED: 4,
    Status.RECEIVED: 5,
}
CLOSED = frozenset({Status.REJECTED, Status.CANCELLED, Status.RECEIVED})


class RuleBroken(Exception):
    """The request's state does not allow this action (HTTP 409)."""


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    unit_cost: Decimal
    approved_quantity: int | None = None
    reserved_quantity: int = 0
    issued_quantity: int = 0

    @property
    def still_needed(self) -> int:
        wanted = self.quantity if self.approved_quantity is None else self.approved_quantity
        return wanted - self.issued_quantity


def total_cost(lines: Iterable[Line]) -> Decimal:
    return sum((line.unit_cost * line.quantity for line in lines), Decimal("0.00")).quantize(
        Decimal("0.01")
    )


def can_cancel(status: Status) -> bool:
    return status in (Status.SUBMITTED, Status.RETURNED)


def can_edit(status: Status) -> bool:
    return status == Status.RETURNED


def can_receive(status: Status) -> bool:
    return status == Status.ISSUED


def allowed_actions(status: Status) -> list[str]:
    return [
        name
        for name, allowed in (
            ("cancel", can_cancel(status)),
            ("edit", can_edit(status)),
            ("receive", can_receive(status)),
        )
        if allowed
    ]


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise RuleBroken(message)


def advance(current: Status, target: Status) -> Status:
    """The status after an event that would move the request to ``target``.

    Closed requests stay closed, and nothing moves a request backwards: a
    late ``approved`` after ``reserved`` changes nothing.
    """
    if current in CLOSED or current == Status.RETURNED:
        return current
    if _PROGRESS.get(target, -1) > _PROGRESS.get(current, -1):
        return target
    return current


def decided(current: Status, outcome: Status) -> Status:
    """The status after a reject or return: only a request still awaiting approval changes."""
    return outcome if current == Status.SUBMITTED else current


def fulfilment(lines: Iterable[Line]) -> Status:
    """Reserved when every approved unit still to hand out is reserved, else backordered."""
    short = any(line.reserved_quantity < line.still_needed for line in lines)
    return Status.BACKORDERED if short else Status.RESERVED
