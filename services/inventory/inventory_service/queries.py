"""What the stock list, the hand-out queue and the reorder suggestions show."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from . import stock
from .models import Alert, Item, Reservation, ReservationLine
from .stock import Status


def items_query(
    q: str | None = None,
    category: str | None = None,
    low: bool = False,
    active: bool | None = None,
) -> Select:
    query = select(Item).order_by(Item.sku)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(
            or_(func.lower(Item.sku).like(pattern), func.lower(Item.name).like(pattern))
        )
    if category:
        query = query.where(Item.category == category)
    if low:
        query = query.where(Item.on_hand - Item.reserved <= Item.reorder_level)
    if active is not None:
        query = query.where(Item.active.is_(active))
    return query


def alerts_query(status: str | None = None) -> Select:
    query = select(Alert).options(selectinload(Alert.item)).order_by(Alert.opened_at.desc())
    if status:
        query = query.where(Alert.status == status)
    return query


def handout_queue(session: Session) -> list[Reservation]:
    """Requests with something reserved to hand out, most pressing first."""
    waiting = session.scalars(
        select(Reservation)
        .where(
            Reservation.status == Status.OPEN,
            Reservation.lines.any(ReservationLine.reserved > 0),
        )
        .options(selectinload(Reservation.lines).selectinload(ReservationLine.item))
    ).all()
    return sorted(waiting, key=lambda reservation: reservation.priority.key())


def reorder_suggestions(session: Session) -> dict:
    """Items to buy now, how many, and why."""
    backordered = dict(
        session.execute(
            select(ReservationLine.sku, func.sum(ReservationLine.backordered))
            .join(ReservationLine.reservation)
            .where(Reservation.status == Status.OPEN)
            .group_by(ReservationLine.sku)
        ).all()
    )
    lines = []
    for item in session.scalars(select(Item).where(Item.active.is_(True)).order_by(Item.sku)):
        waiting = backordered.get(item.sku) or 0
        suggestion = stock.reorder_suggestion(item.level, waiting, item.reorder_quantity, item.unit)
        if suggestion is None:
            continue
        lines.append(
            {
                "sku": item.sku,
                "name": item.name,
                "unit": item.unit,
                "category": item.category,
                "unit_cost": item.unit_cost,
                "on_hand": item.on_hand,
                "reserved": item.reserved,
                "available": item.available,
                "backordered": waiting,
                "reorder_level": item.reorder_level,
                "reorder_quantity": item.reorder_quantity,
                "quantity": suggestion.quantity,
                "cost": item.unit_cost * suggestion.quantity,
                "reason": suggestion.reason,
            }
        )
    total_cost = sum((line["cost"] for line in lines), Decimal("0.00"))
    return {"items": lines, "total": len(lines), "cost": total_cost}


SUGGESTION_COLUMNS = (
    "sku",
    "name",
    "unit",
    "quantity",
    "unit_cost",
    "cost",
    "available",
    "backordered",
    "reorder_level",
    "reason",
)


def suggestions_csv(suggestions: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, SUGGESTION_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for line in suggestions["items"]:
        writer.writerow({name: _cell(line[name]) for name in SUGGESTION_COLUMNS})
    return out.getvalue()


def _cell(value):
    # A spreadsheet runs a cell that starts like a formula; an item name must not.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
