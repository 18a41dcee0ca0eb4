"""How events from approvals and inventory move a request along.

Events may come late, twice (the consumer drops those by id) or out of
order: an event for an older round, or for a request we do not know, is
noted in the log and otherwise ignored, and a status never moves backwards.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session, object_session

from procurement_common import events as ev
from procurement_common.events import Event

from .domain import Status, advance, decided, fulfilment
from .models import CatalogItem, HistoryEntry, SupplyRequest

log = logging.getLogger(__name__)


def _current(session: Session, event: Event, *, same_round: bool = True) -> SupplyRequest | None:
    request = session.get(SupplyRequest, event.data["request_id"])
    if request is None:
        log.warning("%s %s for unknown request %s", event.type, event.id, event.data["request_id"])
        return None
    if same_round and event.data.get("round", request.round) != request.round:
        log.info("%s %s is for an earlier round of %s", event.type, event.id, request.id)
        return None
    return request


def _note(
    request: SupplyRequest,
    event: Event,
    note: str,
    *,
    by: str | None = None,
    acting_for: str | None = None,
) -> None:
    # Added from the entry's side, the history is not loaded just to append to it.
    entry = HistoryEntry(
        request=request,
        status=request.status,
        by=by or event.data.get("by") or event.source,
        acting_for=acting_for or event.data.get("acting_for"),
        note=note,
        round=request.round,
        at=event.occurred_at,
        event_id=event.id,
    )
    object_session(request).add(entry)


def approval_requested(session: Session, event: Event) -> None:
    request = _current(session, event)
    if request is None or request.status != Status.SUBMITTED:
        return
    request.pending_approver = event.data["approver"]
    waiting = f"Waiting for {event.data['approver']} (approval level {event.data['level']})"
    previous = event.data.get("previous")
    if previous:
        acting = f" as delegate for {previous['acting_for']}" if previous.get("acting_for") else ""
        said = f": {previous['comment']}" if previous.get("comment") else ""
        waiting = f"Approved at level {previous['level']}{acting}{said}. {waiting}"
        _note(request, event, waiting, by=previous["by"], acting_for=previous.get("acting_for"))
    else:
        _note(request, event, waiting, by="approvals")


def approval_nudged(session: Session, event: Event) -> None:
    request = _current(session, event, same_round=False)
    if request is None or request.status != Status.SUBMITTED:
        return
    escalated_to = event.data.get("escalated_to")
    if escalated_to:
        request.pending_approver = escalated_to
        note = f"Escalated from {event.data['approver']} to {escalated_to}"
    else:
        note = f"Reminder sent to {event.data['approver']}"
    _note(request, event, note, by="approvals")


def approval_approved(session: Session, event: Event) -> None:
    request = _current(session, event)
    if request is None:
        return
    approved = {line["sku"]: line["approved_quantity"] for line in event.data["lines"]}
    for line in request.lines:
        line.approved_quantity = approved.get(line.sku, 0)
    request.status = advance(Status(request.status), Status.APPROVED)
    request.pending_approver = None
    cuts = [
        f"{line.sku} {line.quantity}→{line.approved_quantity}"
        for line in request.lines
        if line.approved_quantity != line.quantity
    ]
    note = "Approved" + (f" with cuts: {', '.join(cuts)}" if cuts else "")
    if event.data.get("comment"):
        note += f": {event.data['comment']}"
    _note(request, event, note)


def approval_closed(session: Session, event: Event) -> None:
    request = _current(session, event)
    if request is None:
        return
    outcome = Status.REJECTED if event.type == ev.APPROVAL_REJECTED else Status.RETURNED
    request.status = decided(Status(request.status), outcome)
    request.pending_approver = None
    verb = "Rejected" if outcome == Status.REJECTED else "Returned for revision"
    _note(request, event, f"{verb}: {event.data['comment']}")


def stock_reserved(session: Session, event: Event) -> None:
    """Lines carry the total now reserved and still short, so a repeat changes nothing."""
    request = _current(session, event, same_round=False)
    if request is None:
        return
    reserved = {line["sku"]: line for line in event.data["lines"]}
    for line in request.lines:
        if line.sku in reserved:
            line.reserved_quantity = reserved[line.sku]["reserved_quantity"]
    request.status = advance(Status(request.status), fulfilment(request.domain_lines()))
    short = event.data["backordered"]
    note = "Reserved in stock" + (f"; waiting for stock of {', '.join(short)}" if short else "")
    _note(request, event, note, by="inventory")


def stock_issued(session: Session, event: Event) -> None:
    """Lines carry the total handed out so far for each item."""
    request = _current(session, event, same_round=False)
    if request is None:
        return
    issued = {line["sku"]: line["issued_quantity"] for line in event.data["lines"]}
    for line in request.lines:
        total = issued.get(line.sku, line.issued_quantity)
        if total > line.issued_quantity:
            line.reserved_quantity = max(0, line.reserved_quantity - (total - line.issued_quantity))
            line.issued_quantity = total
    if event.data["complete"]:
        request.status = advance(Status(request.status), Status.ISSUED)
    _note(request, event, "Handed out" if event.data["complete"] else "Partly handed out")


def item_changed(session: Session, event: Event) -> None:
    data = event.load_data()
    item = session.get(CatalogItem, data["sku"])
    if item is not None and item.changed_at > event.occurred_at:
        return  # an older picture of the item than the one we hold
    if item is None:
        item = CatalogItem(sku=data["sku"])
        session.add(item)
    upsert_catalog_item(item, data, event.occurred_at)


def upsert_catalog_item(item: CatalogItem, data: dict, changed_at: datetime) -> None:
    item.name = data["name"]
    item.unit = data["unit"]
    item.category = data.get("category")
    item.unit_cost = data["unit_cost"]
    item.available = data["available"]
    item.active = data.get("active", True)
    item.changed_at = changed_at


HANDLERS = {
    ev.APPROVAL_REQUESTED: approval_requested,
    ev.APPROVAL_REMINDED: approval_nudged,
    ev.APPROVAL_ESCALATED: approval_nudged,
    ev.APPROVAL_APPROVED: approval_approved,
    ev.APPROVAL_REJECTED: approval_closed,
    ev.APPROVAL_RETURNED: approval_closed,
    ev.STOCK_RESERVED: stock_reserved,
    ev.STOCK_ISSUED: stock_issued,
    ev.ITEM_CHANGED: item_changed,
}
