"""How events from approvals and inventory move a request along.

Events may come late, twice (the consumer drops those by id) or out of
order: an event for an older round, or for a request we do not know, is
noted in the log and otherwise ignored, and a status never moves backwards.

The handlers speak SQL directly, not through the unit of work: the worker
applies several events per submission, and loading each request into the
session and flushing it back cost more than what the handlers decide.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.orm import Session

from procurement_common import events as ev
from procurement_common.db import writing_together
from procurement_common.events import Event

from .domain import Line, Status, advance, decided, fulfilment
from .models import APPEND_HISTORY, CatalogItem, RequestLine, SupplyRequest, User
from .people import called

log = logging.getLogger(__name__)

_requests = SupplyRequest.__table__
_lines = RequestLine.__table__
_catalog = CatalogItem.__table__
_users = User.__table__

_SELECT_REQUEST = select(_requests.c.id, _requests.c.status, _requests.c.round).where(
    _requests.c.id == bindparam("request_id")
)


def _name_of(param: str):
    """The name of the person whose username is the parameter ``param``, or None."""
    named = select(_users.c.name).where(_users.c.username == bindparam(param))
    return named.scalar_subquery().label(f"{param}_name")


# The request with the names of the two people an approval event mentions,
# for its note: in the same read, as a second one would cost a round trip.
_SELECT_REQUEST_NAMING = _SELECT_REQUEST.add_columns(_name_of("approver"), _name_of("other"))

_SELECT_LINES = (
    select(
        _lines.c.id,
        _lines.c.sku,
        _lines.c.quantity,
        _lines.c.unit_cost,
        _lines.c.approved_quantity,
        _lines.c.reserved_quantity,
        _lines.c.issued_quantity,
    )
    .where(_lines.c.request_id == bindparam("request_id"))
    .order_by(_lines.c.position)
)
_UPDATE_LINE = update(_lines).where(_lines.c.id == bindparam("line_id"))
# The columns set are the parameters' keys. Built once: building an UPDATE
# for each event, and keying the new statement, cost more than running it.
_UPDATE_REQUEST = update(_requests).where(_requests.c.id == bindparam("row_id"))
_SELECT_ITEM_CHANGED_AT = select(_catalog.c.changed_at).where(_catalog.c.sku == bindparam("sku"))
_INSERT_ITEM = insert(_catalog)
_UPDATE_ITEM = update(_catalog).where(_catalog.c.sku == bindparam("item_sku"))


def _current(
    session: Session,
    event: Event,
    *,
    same_round: bool = True,
    naming: tuple[str, str | None] | None = None,
) -> Row | None:
    """The request the event is about, or None if it is not ours to apply;
    ``naming``: usernames of the approver and one other, whose names then
    come with it as ``approver_name`` and ``other_name``."""
    params = {"request_id": event.data["request_id"]}
    if naming:
        approver, other = naming
        params.update(approver=approver, other=other)
    statement = _SELECT_REQUEST_NAMING if naming else _SELECT_REQUEST
    request = session.execute(statement, params).first()
    if request is None:
        log.warning("%s %s for unknown request %s", event.type, event.id, event.data["request_id"])
        return None
    if same_round and event.data.get("round", request.round) != request.round:
        log.info("%s %s is for an earlier round of %s", event.type, event.id, request.id)
        return None
    return request


def _lines_of(session: Session, request: Row) -> list[Row]:
    return list(session.execute(_SELECT_LINES, {"request_id": request.id}))


def _domain(line: Row, **changes) -> Line:
    return Line(
        sku=line.sku,
        quantity=line.quantity,
        unit_cost=line.unit_cost,
        approved_quantity=changes.get("approved_quantity", line.approved_quantity),
        reserved_quantity=changes.get("reserved_quantity", line.reserved_quantity),
        issued_quantity=changes.get("issued_quantity", line.issued_quantity),
    )


def _move(
    session: Session,
    request: Row,
    event: Event,
    note: str,
    *,
    status: str | None = None,
    by: str | None = None,
    acting_for: str | None = None,
    lines: dict[int, dict] | None = None,
    **values,
) -> None:
    """Change the request (``status``, other columns and ``lines``: line id to
    new values, the same columns for each) and append to its history.

    Nothing is read back, so on PostgreSQL the writes travel together.
    """
    status = status or request.status
    with writing_together(session) as connection:
        if lines:
            rows = [{"line_id": line_id, **changed} for line_id, changed in lines.items()]
            connection.execute(_UPDATE_LINE, rows)
        if status != request.status or values:
            connection.execute(_UPDATE_REQUEST, {"row_id": request.id, "status": status, **values})
        connection.execute(
            APPEND_HISTORY,
            {
                "request_id": request.id,
                "status": status,
                "by": by or event.data.get("by") or event.source,
                "acting_for": acting_for or event.data.get("acting_for"),
                "note": note,
                "round": request.round,
                "at": event.occurred_at,
                "event_id": event.id,
            },
        )


def approval_requested(session: Session, event: Event) -> None:
    previous = event.data.get("previous")
    acting_for = (previous or {}).get("acting_for")
    request = _current(session, event, naming=(event.data["approver"], acting_for))
    if request is None or request.status != Status.SUBMITTED:
        return
    approver = called(event.data["approver"], request.approver_name)
    waiting = f"Waiting for {approver} (approval level {event.data['level']})"
    if previous:
        acting = f" as delegate for {called(acting_for, request.other_name)}" if acting_for else ""
        said = f": {previous['comment']}" if previous.get("comment") else ""
        _move(
            session,
            request,
            event,
            f"Approved at level {previous['level']}{acting}{said}. {waiting}",
            by=previous["by"],
            acting_for=previous.get("acting_for"),
            pending_approver=event.data["approver"],
        )
    else:
        _move(
            session,
            request,
            event,
            waiting,
            by="approvals",
            pending_approver=event.data["approver"],
        )


def approval_nudged(session: Session, event: Event) -> None:
    escalated_to = event.data.get("escalated_to")
    naming = (event.data["approver"], escalated_to)
    request = _current(session, event, same_round=False, naming=naming)
    if request is None or request.status != Status.SUBMITTED:
        return
    approver = called(event.data["approver"], request.approver_name)
    if escalated_to:
        note = f"Escalated from {approver} to {called(escalated_to, request.other_name)}"
        if reason := event.data.get("reason"):
            note += f": {reason}"
        _move(session, request, event, note, by="approvals", pending_approver=escalated_to)
    else:
        note = f"Reminder sent to {approver}"
        _move(session, request, event, note, by="approvals")


def approval_approved(session: Session, event: Event) -> None:
    request = _current(session, event)
    if request is None:
        return
    approved = {line["sku"]: line["approved_quantity"] for line in event.data["lines"]}
    lines = _lines_of(session, request)
    cuts = [
        f"{line.sku} {line.quantity}→{approved.get(line.sku, 0)}"
        for line in lines
        if approved.get(line.sku, 0) != line.quantity
    ]
    note = "Approved" + (f" with cuts: {', '.join(cuts)}" if cuts else "")
    if event.data.get("comment"):
        note += f": {event.data['comment']}"
    status = advance(Status(request.status), Status.APPROVED)
    changes = {line.id: {"approved_quantity": approved.get(line.sku, 0)} for line in lines}
    _move(session, request, event, note, status=status, lines=changes, pending_approver=None)


def approval_closed(session: Session, event: Event) -> None:
    request = _current(session, event)
    if request is None:
        return
    outcome = Status.REJECTED if event.type == ev.APPROVAL_REJECTED else Status.RETURNED
    verb = "Rejected" if outcome == Status.REJECTED else "Returned for revision"
    status = decided(Status(request.status), outcome)
    note = f"{verb}: {event.data['comment']}"
    _move(session, request, event, note, status=status, pending_approver=None)


def stock_reserved(session: Session, event: Event) -> None:
    """Lines carry the total now reserved and still short, so a repeat changes nothing."""
    request = _current(session, event, same_round=False)
    if request is None:
        return
    reserved = {line["sku"]: line["reserved_quantity"] for line in event.data["lines"]}
    lines = _lines_of(session, request)
    changes = {
        line.id: {"reserved_quantity": reserved[line.sku]} for line in lines if line.sku in reserved
    }
    after = [_domain(line, **changes.get(line.id, {})) for line in lines]
    status = advance(Status(request.status), fulfilment(after))
    short = event.data["backordered"]
    note = "Reserved in stock" + (f"; waiting for stock of {', '.join(short)}" if short else "")
    _move(session, request, event, note, status=status, by="inventory", lines=changes)


def stock_issued(session: Session, event: Event) -> None:
    """Lines carry the total handed out so far for each item."""
    request = _current(session, event, same_round=False)
    if request is None:
        return
    issued = {line["sku"]: line["issued_quantity"] for line in event.data["lines"]}
    changes = {}
    for line in _lines_of(session, request):
        total = issued.get(line.sku, line.issued_quantity)
        if total > line.issued_quantity:
            handed_out = total - line.issued_quantity
            changes[line.id] = {
                "reserved_quantity": max(0, line.reserved_quantity - handed_out),
                "issued_quantity": total,
            }
    complete = event.data["complete"]
    status = advance(Status(request.status), Status.ISSUED) if complete else request.status
    note = "Handed out" if complete else "Partly handed out"
    _move(session, request, event, note, status=status, lines=changes)


def item_changed(session: Session, event: Event) -> None:
    data = event.load_data()
    held_since = session.scalar(_SELECT_ITEM_CHANGED_AT, {"sku": data["sku"]})
    if held_since is not None and held_since > event.occurred_at:
        return  # an older picture of the item than the one we hold
    values = catalog_values(data, event.occurred_at)
    if held_since is None:
        session.execute(_INSERT_ITEM, {"sku": data["sku"], **values})
    else:
        session.execute(_UPDATE_ITEM, {"item_sku": data["sku"], **values})


def catalog_values(data: dict, changed_at: datetime) -> dict:
    """Our copy's columns for an item as inventory describes it."""
    return {
        "name": data["name"],
        "unit": data["unit"],
        "category": data.get("category"),
        "unit_cost": data["unit_cost"],
        "available": data["available"],
        "active": data.get("active", True),
        "changed_at": changed_at,
    }


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
