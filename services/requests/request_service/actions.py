"""What people do with requests, and what other services' events do to them.

Each function works inside the caller's session (the unit of work) and
records the events it causes in the outbox of that same session; only
``submit_once`` commits, because it must see a racing retry's commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Connection, Row, Select, bindparam, func, insert, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, selectinload

from procurement_common import events as ev
from procurement_common.auth import CLERK, DIRECTOR, LEADER, Principal
from procurement_common.db import new_id, reading_before_writing, utcnow, writing_together
from procurement_common.events import Event
from procurement_common.reporting import Period, department_in_view

from . import progress, standing
from .accounts import principal_of
from .domain import Line, Status, can_cancel, can_edit, can_receive, require, total_cost
from .models import (
    APPEND_HISTORY,
    CatalogItem,
    Department,
    HistoryEntry,
    IdempotencyKey,
    RequestLine,
    StandingOrder,
    StandingOrderEntry,
    SupplyRequest,
    User,
    messaging,
    roles_of,
)

# Who may assign a request.
LEADERS = frozenset({LEADER, DIRECTOR})
# Who did what the service does by itself, in the records.
SERVICE = "requests"


class NotFound(Exception):
    pass


class Forbidden(Exception):
    pass


def can_view(principal: Principal, request: SupplyRequest) -> bool:
    if request.requester == principal.username or principal.has_any(CLERK, DIRECTOR):
        return True
    return principal.has_any(LEADER) and principal.department == request.department


def get_visible(session: Session, principal: Principal, request_id: str) -> SupplyRequest:
    request = session.get(SupplyRequest, request_id)
    if request is None:
        raise NotFound(f"No request {request_id}.")
    if not can_view(principal, request):
        raise Forbidden("This request belongs to someone else.")
    return request


def get_own(session: Session, principal: Principal, request_id: str) -> SupplyRequest:
    request = get_visible(session, principal, request_id)
    if request.requester != principal.username:
        raise Forbidden("Only the person who asked can do this.")
    return request


def listing(
    principal: Principal, department: str | None = None, status: str | None = None
) -> Select:
    """The caller's own requests, newest first; or, given ``department``, that
    department's: leaders may list their own department, clerks and the
    director any department."""
    query = (
        select(SupplyRequest)
        .options(selectinload(SupplyRequest.lines))
        .order_by(SupplyRequest.created_at.desc(), SupplyRequest.id)
    )
    if department is None:
        query = query.where(SupplyRequest.requester == principal.username)
    elif principal.has_any(CLERK, DIRECTOR) or (
        principal.has_any(LEADER) and department == principal.department
    ):
        query = query.where(SupplyRequest.department == department)
    else:
        raise Forbidden("You may only list your own department's requests.")
    if status:
        query = query.where(SupplyRequest.status == status)
    return query


def may_list_departments(principal: Principal) -> bool:
    return principal.has_any(LEADER, CLERK, DIRECTOR)


def leaders(session: Session) -> list[User]:
    """The people a request can say it was assigned by."""
    people = session.scalars(select(User).where(User.active.is_(True)).order_by(User.name))
    return [person for person in people if person.roles & LEADERS]


def departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.name)))


def department_name(session: Session, code: str) -> str:
    """What people call a department: its name, or its code if we do not know it."""
    return session.scalar(select(Department.name).where(Department.code == code)) or code


# Built once, as a statement works out its cache key once. Inline: nothing
# reads a generated key back (see ``writing_together``).
_INSERT_REQUEST = insert(SupplyRequest.__table__)
_INSERT_LINES = insert(RequestLine.__table__).inline()
_INSERT_KEY = insert(IdempotencyKey.__table__)


def submit_once(
    session: Session, principal: Principal, data: dict, key: str | None
) -> SupplyRequest | SimpleNamespace:
    """Create a request from validated input, announce it for approval and commit.

    With an idempotency ``key``, a retry (even one racing the first attempt)
    gets what the first attempt created, and nothing new.
    """
    if key and (earlier := _submitted_with(session, principal, key)):
        return earlier
    try:
        request = _write_submission(session, principal, data, key)
        session.commit()
    except IntegrityError:
        # A racing retry with the same key got there first: answer with its result.
        session.rollback()
        earlier = _submitted_with(session, principal, key) if key else None
        if earlier is None:
            raise
        return earlier
    return request


def _write_submission(
    session: Session, principal: Principal, data: dict, key: str | None, note: str = "Submitted"
) -> SimpleNamespace:
    """Write a new request and its ``request.submitted`` in the session's transaction.

    The new rows go in as plain INSERTs on the session's connection: a
    brand-new request needs none of the unit of work's change tracking,
    which used to take a third of a create's time. What is returned
    carries the same values as a stored request, for the answer.
    """
    with reading_before_writing(session) as connection:
        draft = _draft(connection, principal, data)
    now = utcnow()
    row = {
        "id": new_id(),
        "requester": principal.username,
        "requester_name": principal.name,
        "department": principal.department,
        "status": Status.SUBMITTED,
        "round": 1,
        "pending_approver": None,
        "created_at": now,
        "updated_at": now,
        **draft.request,
    }
    lines = [{"request_id": row["id"], **line} for line in draft.lines]
    entry = {
        "request_id": row["id"],
        "status": Status.SUBMITTED,
        "at": now,
        "by": principal.username,
        "acting_for": None,
        "note": note,
        "round": 1,
    }
    # The answer and the event are read off a plain copy of what is written:
    # mapped instances would cost their instrumentation for nothing.
    request = SimpleNamespace(
        **row, lines=[SimpleNamespace(**line) for line in lines], history=[SimpleNamespace(**entry)]
    )
    event = _submitted(request, draft.people)
    # Everything is prepared: the writes alone are left for the transaction.
    with writing_together(session) as connection:
        connection.execute(_INSERT_REQUEST, row)
        connection.execute(_INSERT_LINES, lines)
        connection.execute(APPEND_HISTORY, entry)
        messaging.record(connection, event)
        if key:
            connection.execute(
                _INSERT_KEY,
                {"username": principal.username, "key": key, "request_id": row["id"]},
            )
    return request


def _submitted_with(session: Session, principal: Principal, key: str) -> SupplyRequest | None:
    found = session.get(IdempotencyKey, (principal.username, key))
    return session.get(SupplyRequest, found.request_id) if found else None


def resubmit_request(session: Session, principal: Principal, request_id: str, data: dict):
    """Edit a returned request and send it for a fresh round of approval."""
    request = get_own(session, principal, request_id)
    require(
        can_edit(request.status),
        f"Only a returned request can be edited; this one is {request.status}.",
    )
    draft = _draft(session.connection(), principal, data)
    request.lines.clear()
    # The old lines must be gone before the new ones, which may name the same items, go in.
    session.flush()
    for name, value in draft.request.items():
        setattr(request, name, value)
    request.lines.extend(RequestLine(**line) for line in draft.lines)
    request.round += 1
    request.status = Status.SUBMITTED
    _history(request, Status.SUBMITTED, principal.username, "Edited and resubmitted")
    messaging.record(session, _submitted(request, draft.people))
    return request


def cancel_request(
    session: Session, principal: Principal, request_id: str, note: str | None = None
):
    request = get_own(session, principal, request_id)
    if request.status == Status.CANCELLED:
        return request  # cancelling twice is not an error: the outcome is the same
    require(
        can_cancel(request.status),
        f"A request that is {request.status} can no longer be cancelled.",
    )
    request.status = Status.CANCELLED
    request.pending_approver = None
    _history(request, Status.CANCELLED, principal.username, note or "Cancelled by the requester")
    _publish(
        session, ev.REQUEST_CANCELLED, request, {"request_id": request.id, "by": principal.username}
    )
    return request


def confirm_receipt(
    session: Session, principal: Principal, request_id: str, note: str | None = None
):
    request = get_own(session, principal, request_id)
    if request.status == Status.RECEIVED:
        return request
    require(
        can_receive(request.status),
        f"Only an issued request can be received; this one is {request.status}.",
    )
    request.status = Status.RECEIVED
    _history(request, Status.RECEIVED, principal.username, note or "Receipt confirmed")
    _publish(
        session, ev.REQUEST_RECEIVED, request, {"request_id": request.id, "by": principal.username}
    )
    return request


@dataclass(frozen=True)
class _Draft:
    """Input checked against the catalog and the people, as the columns it decides."""

    request: dict[str, Any]
    lines: list[dict[str, Any]]
    # Who the request goes to: ``department_name``, ``department_head``,
    # ``director``, and the two leaders' names.
    people: Row


# Any one active director: the office has one. Ordered, so that every create
# picks the same one should there be two.
_DIRECTOR = (
    select(User.username, User.name)
    .where(User.with_role(DIRECTOR), User.active.is_(True))
    .order_by(User.username)
    .limit(1)
    .subquery("director")
)
_HEAD = aliased(User, name="head")
# The items asked for, built once as every create runs it. Each row also
# carries who the request goes to, and what roles ``assigned_by`` has (None
# for what does not exist): that costs no second round trip, and without any
# known item there is no request to send anyway. The outer joins keep the
# items when the department, its head or a director is missing.
_CATALOG_AND_PEOPLE = (
    select(
        CatalogItem.sku,
        CatalogItem.name,
        CatalogItem.unit,
        CatalogItem.unit_cost,
        CatalogItem.active,
        Department.name.label("department_name"),
        Department.head.label("department_head"),
        _HEAD.name.label("department_head_name"),
        _DIRECTOR.c.username.label("director"),
        _DIRECTOR.c.name.label("director_name"),
        # A leader who has left no longer assigns work.
        select(User.roles_text)
        .where(User.username == bindparam("assigned_by"), User.active.is_(True))
        .scalar_subquery()
        .label("assigned_by_roles"),
    )
    .select_from(CatalogItem)
    .outerjoin(Department, Department.code == bindparam("department"))
    .outerjoin(_HEAD, _HEAD.username == Department.head)
    .outerjoin(_DIRECTOR, true())
    .where(CatalogItem.sku.in_(bindparam("skus", expanding=True)))
)


def _draft(connection: Connection, principal: Principal, data: dict) -> _Draft:
    assigned_by = data.get("assigned_by") or None
    found = connection.execute(
        _CATALOG_AND_PEOPLE,
        {
            "skus": [line["sku"] for line in data["lines"]],
            "department": principal.department,
            "assigned_by": assigned_by,
        },
    )
    catalog = {item.sku: item for item in found}
    unknown = {
        index: {"sku": [f"Unknown item {line['sku']!r}."]}
        for index, line in enumerate(data["lines"])
        if line["sku"] not in catalog or not catalog[line["sku"]].active
    }
    if unknown:
        raise ValidationError({"lines": unknown})
    # Any row will do: each carries the same people.
    people = next(iter(catalog.values()))
    if assigned_by is not None and not roles_of(people.assigned_by_roles) & LEADERS:
        raise ValidationError({"assigned_by": [f"{assigned_by!r} is not a leader."]})
    items = [catalog[line["sku"]] for line in data["lines"]]
    lines = [
        {
            "position": position,
            "sku": item.sku,
            "name": item.name,
            "unit": item.unit,
            "unit_cost": item.unit_cost,
            "quantity": line["quantity"],
            "approved_quantity": None,
            "reserved_quantity": 0,
            "issued_quantity": 0,
        }
        for position, (line, item) in enumerate(zip(data["lines"], items, strict=True))
    ]
    total = total_cost(Line(line["sku"], line["quantity"], line["unit_cost"]) for line in lines)
    request = {
        "purpose": data["purpose"],
        "urgency": data.get("urgency", "normal"),
        "leader_assigned": bool(data.get("leader_assigned")) or assigned_by is not None,
        "assigned_by": assigned_by,
        "needed_by": data.get("needed_by"),
        "total": total,
    }
    return _Draft(request, lines, people)


def _submitted(request: SupplyRequest | SimpleNamespace, people: Row) -> Event:
    """``request.submitted`` for the request as it now stands."""
    # A department missing from our table is still named, by its code.
    department_name = people.department_name
    if department_name is None:
        department_name = request.department
    return _event(
        ev.REQUEST_SUBMITTED,
        request,
        {
            "request_id": request.id,
            "round": request.round,
            "requester": request.requester,
            "requester_name": request.requester_name,
            "department": request.department,
            "department_name": department_name,
            "department_head": people.department_head,
            "department_head_name": people.department_head_name,
            "director": people.director,
            "director_name": people.director_name,
            "lines": [
                {
                    "sku": line.sku,
                    "name": line.name,
                    "unit": line.unit,
                    "quantity": line.quantity,
                    "unit_cost": line.unit_cost,
                }
                for line in request.lines
            ],
            "total": request.total,
            "purpose": request.purpose,
            "urgency": request.urgency,
            "leader_assigned": request.leader_assigned,
            "assigned_by": request.assigned_by,
            "needed_by": request.needed_by,
            "submitted_at": utcnow(),
        },
    )


def _history(request: SupplyRequest, status: str, by: str, note: str | None, **extra) -> None:
    request.history.append(
        HistoryEntry(status=status, by=by, note=note, round=request.round, at=utcnow(), **extra)
    )


def _event(event_type: str, request: SupplyRequest, data: dict) -> Event:
    return Event.new(event_type, data, source="requests", correlation_id=request.id)


def _publish(session: Session, event_type: str, request: SupplyRequest, data: dict) -> None:
    messaging.record(session, _event(event_type, request, data))


# -- the progress report ---------------------------------------------------------
def progress_report(
    session: Session, department: str | None, period: Period, now=None
) -> progress.Progress:
    """The stages finished in the period, and what is still on its way now."""
    now = now or utcnow()
    of_department = (SupplyRequest.department == department) if department is not None else true()
    # Whole histories of the requests that moved in the period: a stage that
    # ended in it may have started long before.
    moved = (
        select(HistoryEntry.request_id)
        .where(HistoryEntry.at >= period.start, HistoryEntry.at < period.end)
        .distinct()
    )
    rows = session.execute(
        select(HistoryEntry.request_id, HistoryEntry.status, HistoryEntry.at)
        .join(SupplyRequest, SupplyRequest.id == HistoryEntry.request_id)
        .where(HistoryEntry.request_id.in_(moved), of_department)
        .order_by(HistoryEntry.request_id, HistoryEntry.id)
    )
    histories: dict[str, list] = {}
    for request_id, status, at in rows:
        histories.setdefault(request_id, []).append((Status(status), at))
    # Since when each open request has been in its status: its latest entry of it.
    since = (
        select(func.max(HistoryEntry.at))
        .where(
            HistoryEntry.request_id == SupplyRequest.id,
            HistoryEntry.status == SupplyRequest.status,
        )
        .scalar_subquery()
    )
    still_open = session.execute(
        select(SupplyRequest.status, func.coalesce(since, SupplyRequest.updated_at)).where(
            SupplyRequest.status.in_(progress.WAITING), of_department
        )
    )
    return progress.progress(
        histories.values(),
        [progress.Open(Status(status), at) for status, at in still_open],
        period,
        now,
    )


def describe_progress(session: Session, principal: Principal, query: dict) -> dict:
    """The progress report as the API and the page show it."""
    department = department_in_view(principal, query.get("department"), CLERK, DIRECTOR)
    report = progress_report(session, department, query["period"])
    return {
        "since": query["period"].since,
        "until": query["period"].until,
        "department": department,
        "as_of": report.as_of,
        "stages": report.stages,
        "waiting": [
            {"status": status, **ages.as_dict()} for status, ages in report.waiting.items()
        ],
    }


# -- standing orders --------------------------------------------------------------
def repeat_request(
    session: Session, principal: Principal, request_id: str, data: dict
) -> StandingOrder:
    """Ask for one's request again every week, month or quarter, from ``starts`` on."""
    request = get_own(session, principal, request_id)
    order = StandingOrder(
        requester=principal.username,
        requester_name=principal.name,
        department=principal.department,
        purpose=request.purpose,
        urgency=request.urgency,
        lines=[{"sku": line.sku, "quantity": line.quantity} for line in request.lines],
        every=data["every"],
        day_of_month=data["starts"].day,
        next_on=data["starts"],
        created_from=request.id,
    )
    session.add(order)
    _log(
        order,
        "made",
        principal.username,
        note=f"Every {order.every} from {order.next_on}, as request {request.id}",
    )
    session.flush()
    return order


def standing_orders_of(principal: Principal) -> Select:
    return (
        select(StandingOrder)
        .options(selectinload(StandingOrder.history))
        .where(StandingOrder.requester == principal.username)
        .order_by(StandingOrder.active.desc(), StandingOrder.created_at.desc())
    )


def stop_standing_order(session: Session, principal: Principal, order_id: str) -> StandingOrder:
    """Stop a standing order; stopping it again changes nothing."""
    order = session.get(StandingOrder, order_id)
    if order is None:
        raise NotFound(f"No standing order {order_id}.")
    if order.requester != principal.username:
        raise Forbidden("Only the person who made a standing order can stop it.")
    if order.active:
        _stop(order, principal.username)
    return order


def _stop(order: StandingOrder, by: str, note: str | None = None) -> None:
    order.active = False
    order.stopped_at = utcnow()
    order.stopped_by = by
    _log(order, "stopped", by, note=note)


def _log(order: StandingOrder, action: str, by: str, **entry) -> None:
    order.history.append(StandingOrderEntry(action=action, by=by, at=utcnow(), **entry))


def due_standing_orders(session: Session, today: date) -> list[str]:
    return list(
        session.scalars(
            select(StandingOrder.id).where(
                StandingOrder.active.is_(True), StandingOrder.next_on <= today
            )
        )
    )


def submit_standing_order(session: Session, order_id: str, today: date) -> str | None:
    """Submit a standing order due by ``today`` as a request of its own; commit.

    The order's row is locked and its next due day moved on in the same
    transaction as the request is written, so two workers never submit one
    due day twice. A request the catalog no longer allows is not made; the
    order says why, and tries again on its next day. Returns the new
    request's id, if one was made.
    """
    order = session.get(StandingOrder, order_id, with_for_update=True)
    if order is None or not order.active or order.next_on > today:
        session.rollback()
        return None  # stopped, or another worker took this day
    submitted_for = order.next_on
    order.next_on = standing.next_due(
        submitted_for, standing.Every(order.every), order.day_of_month, today
    )
    requester = session.scalar(select(User).where(User.username == order.requester))
    request_id = None
    if requester is None or not requester.active:
        order.last_refusal = f"Stopped on {submitted_for}: {order.requester} no longer works here."
        _stop(order, SERVICE, note=order.last_refusal)
    else:
        try:
            request = _write_submission(
                session,
                principal_of(requester),
                {
                    "lines": order.lines,
                    "purpose": order.purpose,
                    "urgency": order.urgency,
                    "leader_assigned": False,
                    "assigned_by": None,
                    "needed_by": None,
                },
                key=None,
                note=f"Submitted by a standing order (every {order.every}) for {submitted_for}",
            )
        except ValidationError as refused:
            order.last_refusal = f"Not submitted on {submitted_for}: {_refusal(refused)}"
            _log(order, "refused", SERVICE, due_on=submitted_for, note=order.last_refusal)
        else:
            request_id = order.last_request_id = request.id
            order.last_refusal = None
            _log(order, "submitted", SERVICE, due_on=submitted_for, request_id=request_id)
    session.commit()
    return request_id


def _refusal(error: ValidationError) -> str:
    """What the catalog refused in a standing order's lines, in words."""
    found = error.normalized_messages()
    texts = [text for line in found.get("lines", {}).values() for text in line.get("sku", [])]
    return " ".join(texts) or str(found)
