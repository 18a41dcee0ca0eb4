"""The rules of the stockroom, in plain Python.

``available`` is what can still be promised: what is on the shelf less what
is already promised to approved requests. Every rule here reasons about
``available``, never about ``on_hand`` alone, so an item whose shelf is full
of reserved goods is as low as an empty one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Generic, TypeVar

from procurement_common.priority import pressing_key

Ref = TypeVar("Ref")


class Movement(StrEnum):
    """The kinds of line in the stock ledger."""

    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    RESERVATION = "reservation"
    RELEASE = "release"
    HANDOUT = "handout"


class Status(StrEnum):
    """Where a request's reservation stands."""

    OPEN = "open"  # approved; something is still to be reserved or handed out
    ISSUED = "issued"  # everything approved has been handed out
    CANCELLED = "cancelled"
    RECEIVED = "received"


class StockRuleBroken(Exception):
    """The stock does not allow this action (HTTP 409)."""


@dataclass(frozen=True)
class Level:
    """How much of one item there is, and where its reorder level lies."""

    on_hand: int
    reserved: int
    reorder_level: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def is_low(self) -> bool:
        return self.available <= self.reorder_level


class AlertChange(StrEnum):
    OPEN = "open"
    RESOLVE = "resolve"


def alert_change(alert_open: bool, level: Level) -> AlertChange | None:
    """Whether a stock alert opens or resolves now.

    An alert stays open while the item is low, so a run of movements below
    the reorder level makes one alert, not one per movement.
    """
    if level.is_low and not alert_open:
        return AlertChange.OPEN
    if not level.is_low and alert_open:
        return AlertChange.RESOLVE
    return None


def alert_may_change(available_before: int, level: Level) -> bool:
    """Whether stock that moved from ``available_before`` to ``level`` can
    open or resolve an alert.

    An item's alert is open exactly while the item is low, because every
    change of its stock or of its reorder level is checked. Stock that was
    above the level and still is has no alert to open or resolve, so most
    approvals need not look.
    """
    return available_before <= level.reorder_level or level.is_low


def split(wanted: int, available: int) -> tuple[int, int]:
    """What can be reserved now and what must wait: ``(reserved, backordered)``."""
    reserved = max(0, min(wanted, available))
    return reserved, wanted - reserved


@dataclass(frozen=True)
class Priority:
    """What makes one request more pressing than another."""

    leader_assigned: bool
    urgency: str
    needed_by: date | None
    submitted_at: datetime

    def key(self) -> tuple:
        return pressing_key(self.leader_assigned, self.urgency, self.needed_by, self.submitted_at)


@dataclass(frozen=True)
class Claim(Generic[Ref]):
    """A request's claim on one item: a backorder waiting, or a reservation held."""

    ref: Ref
    quantity: int
    priority: Priority


def fill_backorders(available: int, backorders: Iterable[Claim[Ref]]) -> list[tuple[Ref, int]]:
    """Share ``available`` among backorders, most pressing first.

    A backorder that cannot be filled whole takes what is left, so the most
    pressing request is never held up behind a less pressing one.
    """
    fills = []
    for claim in sorted(backorders, key=lambda claim: claim.priority.key()):
        if available <= 0:
            break
        quantity = min(claim.quantity, available)
        fills.append((claim.ref, quantity))
        available -= quantity
    return fills


def take_back(shortfall: int, reservations: Iterable[Claim[Ref]]) -> list[tuple[Ref, int]]:
    """Which reservations give way when a count finds fewer goods than are reserved.

    The least pressing requests give way first; what they lose goes back to
    being backordered.
    """
    taken = []
    for claim in sorted(reservations, key=lambda claim: claim.priority.key(), reverse=True):
        if shortfall <= 0:
            break
        quantity = min(claim.quantity, shortfall)
        taken.append((claim.ref, quantity))
        shortfall -= quantity
    return taken


def hand_out_plan(reserved: Mapping[str, int], asked: Mapping[str, int] | None) -> dict[str, int]:
    """What to hand out per SKU: everything reserved, or the part ``asked`` for."""
    if not any(reserved.values()):
        raise StockRuleBroken(
            "Nothing is reserved for this request, so there is nothing to hand out."
        )
    if asked is None:
        return {sku: quantity for sku, quantity in reserved.items() if quantity > 0}
    for sku, quantity in asked.items():
        held = reserved.get(sku, 0)
        if quantity > held:
            raise StockRuleBroken(
                f"Only {held} of {sku} reserved for this request; cannot hand out {quantity}."
            )
    return dict(asked)


def order_quantity(available: int, reorder_level: int, reorder_quantity: int) -> int:
    """The reorder quantity, or more when that would not lift stock above the reorder level."""
    return max(reorder_quantity, reorder_level - available + 1)


@dataclass(frozen=True)
class Suggestion:
    quantity: int
    reason: str


@dataclass(frozen=True)
class Outlook:
    """What is likely to go out before an order arrives: ``lead_days`` at the
    pace of the last ``pace_days``."""

    quantity: int = 0
    lead_days: int = 0
    pace_days: int = 0


NOTHING_EXPECTED = Outlook()


def reorder_suggestion(
    level: Level,
    backordered: int,
    reorder_quantity: int,
    unit: str,
    outlook: Outlook = NOTHING_EXPECTED,
) -> Suggestion | None:
    """How much to buy now, and why; ``None`` when the item needs nothing.

    Backorders are demand already approved, so they count against stock as
    reservations do. What the outlook expects to go out before an order
    could arrive counts too: an item that would reach its reorder level by
    then is ordered now, so regular needs are met before they run short.
    The order is the reorder quantity, or more when that would not lift the
    item back above its reorder level.
    """
    projected = level.available - backordered
    by_arrival = projected - outlook.quantity
    if by_arrival > level.reorder_level:
        return None
    quantity = order_quantity(by_arrival, level.reorder_level, reorder_quantity)
    reason = (
        f"{level.available} {unit} available ({level.on_hand} on hand, {level.reserved} reserved)"
    )
    if backordered:
        reason += f", {backordered} backordered"
    reason += f"; reorder level {level.reorder_level}."
    if outlook.quantity:
        reason += (
            f" At the pace of the last {outlook.pace_days} days, about {outlook.quantity} more"
            f" go out in the {outlook.lead_days} days an order takes."
        )
    reason += f" Ordering {quantity} brings it to {projected + quantity}."
    return Suggestion(quantity, reason)
