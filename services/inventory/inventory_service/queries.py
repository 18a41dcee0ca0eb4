"""What the stock list, the hand-out queue, the reorder suggestions and the
usage report show."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import Select, distinct, func, or_, select
from sqlalchemy.orm import Session, selectinload

from procurement_common.db import utcnow
from procurement_common.reporting import Period

from . import stock, usage
from .models import (
    Alert,
    Handout,
    HandoutLine,
    Item,
    ItemChange,
    LedgerEntry,
    Reservation,
    ReservationLine,
)
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


def ledger_query(sku: str) -> Select:
    """Every movement of an item's stock, newest first."""
    return select(LedgerEntry).where(LedgerEntry.sku == sku).order_by(LedgerEntry.id.desc())


def purposes(session: Session, request_ids: set[str]) -> dict[str, str]:
    """What each of these requests is for, where its approval said."""
    found = select(Reservation.request_id, Reservation.purpose).where(
        Reservation.request_id.in_(request_ids), Reservation.purpose.is_not(None)
    )
    return dict(session.execute(found).all())


def item_changes_query(sku: str) -> Select:
    """Every change to an item's details, newest first."""
    return select(ItemChange).where(ItemChange.sku == sku).order_by(ItemChange.id.desc())


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


def reorder_suggestions(session: Session, lead_days: int = 0, now=None) -> dict:
    """Items to buy now, how many, and why.

    ``lead_days`` is how long an order takes to arrive: what goes out in
    that time at the pace of the last ``usage.PACE_DAYS`` counts against stock.
    """
    recent = Period.ending((now or utcnow()).date(), usage.PACE_DAYS)
    handed = dict(
        session.execute(
            _handed_out(
                select(HandoutLine.sku, func.sum(HandoutLine.quantity)), recent, None
            ).group_by(HandoutLine.sku)
        ).all()
    )
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
        pace = usage.Pace(item.sku, handed.get(item.sku) or 0, recent.days, item.available)
        outlook = stock.Outlook(pace.expected_in(lead_days), lead_days, recent.days)
        suggestion = stock.reorder_suggestion(
            item.level, waiting, item.reorder_quantity, item.unit, outlook
        )
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
                "expected_use": outlook.quantity,
                "reorder_level": item.reorder_level,
                "reorder_quantity": item.reorder_quantity,
                "quantity": suggestion.quantity,
                "cost": item.unit_cost * suggestion.quantity,
                "reason": suggestion.reason,
            }
        )
    total_cost = sum((line["cost"] for line in lines), Decimal("0.00"))
    return {"items": lines, "total": len(lines), "cost": total_cost}


def _handed_out(query: Select, period: Period, department: str | None) -> Select:
    """``query`` over the hand-out lines of ``period``, of one department or all."""
    query = (
        query.select_from(HandoutLine)
        .join(Handout, HandoutLine.handout_id == Handout.id)
        .join(Reservation, Handout.request_id == Reservation.request_id)
        .where(Handout.at >= period.start, Handout.at < period.end)
    )
    if department is not None:
        query = query.where(Reservation.department == department)
    return query


def usage_report(session: Session, period: Period, department: str | None) -> dict:
    """What was handed out in ``period`` per department and item, and how long
    each item's available stock lasts at that pace; ``department`` narrows it.

    What went out is valued at what it cost when it went out.
    """
    rows = session.execute(
        _handed_out(
            select(
                Reservation.department,
                HandoutLine.sku,
                func.sum(HandoutLine.quantity).label("quantity"),
                func.count(distinct(Handout.request_id)).label("requests"),
                func.sum(HandoutLine.quantity * HandoutLine.unit_cost).label("value"),
            ),
            period,
            department,
        )
        .group_by(Reservation.department, HandoutLine.sku)
        .order_by(Reservation.department.nulls_last(), HandoutLine.sku)
    ).all()
    # One request handing out several items counts once in the total.
    requests = session.scalar(
        _handed_out(select(func.count(distinct(Handout.request_id))), period, department)
    )
    priced = [(row, _money(row.value)) for row in rows]
    handed, spent = Counter(), Counter()
    for row, value in priced:
        handed[row.sku] += row.quantity
        spent[row.sku] += value
    # Every item in use, and any since retired that went out in the period.
    items = {
        item.sku: item
        for item in session.scalars(
            select(Item).where(or_(Item.active.is_(True), Item.sku.in_(list(handed))))
        )
    }
    names = department_names(session)
    lines = [
        {
            "department": row.department,
            "department_name": names.get(row.department, row.department),
            "sku": row.sku,
            "name": items[row.sku].name,
            "unit": items[row.sku].unit,
            "quantity": row.quantity,
            "requests": row.requests,
            "unit_cost": usage.unit_cost(value, row.quantity),
            "value": value,
        }
        for row, value in priced
    ]
    paces = usage.fewest_days_of_cover_first(
        usage.Pace(sku, handed[sku], period.days, item.available) for sku, item in items.items()
    )
    cover = [
        {
            "sku": pace.sku,
            "name": items[pace.sku].name,
            "unit": items[pace.sku].unit,
            "quantity": pace.handed_out,
            "unit_cost": items[pace.sku].unit_cost,
            "value": spent[pace.sku],
            "per_30_days": pace.per_30_days,
            "available": pace.available,
            "days_of_cover": pace.days_of_cover,
        }
        for pace in paces
    ]
    return {
        "since": period.since,
        "until": period.until,
        "days": period.days,
        "department": department,
        "department_name": names.get(department, department),
        "by_department": lines,
        "by_item": cover,
        "totals": {
            "quantity": sum(handed.values()),
            "requests": requests,
            "value": sum(spent.values(), Decimal("0.00")),
        },
    }


def _money(value: Decimal | float) -> Decimal:
    # SQLite sums money as a float: whole cents are all it ever held.
    return Decimal(value).quantize(usage.CENT)


def department_names(session: Session) -> dict[str, str]:
    """Each department stock has been held for, by code, with the name its
    latest approval gave it; one no approval named is called by its code."""
    latest = func.max(Reservation.approved_at)
    found = session.execute(
        select(Reservation.department, Reservation.department_name)
        .where(Reservation.department.is_not(None))
        .group_by(Reservation.department, Reservation.department_name)
        .order_by(latest.nulls_first())
    )
    names = {}
    for code, name in found:
        if name is not None or code not in names:
            names[code] = name or code
    return dict(sorted(names.items()))
