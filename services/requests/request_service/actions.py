"""What people do with requests, and what other services' events do to them.

Each function works inside the caller's session (the unit of work) and
records the events it causes in the outbox of that same session; only
``submit_once`` commits, because it must see a racing retry's commit.
"""

from __future__ import annotations

from marshmallow import ValidationError
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from procurement_common import events as ev
from procurement_common.auth import CLERK, DIRECTOR, LEADER, Principal
from procurement_common.db import new_id, utcnow
from procurement_common.events import Event

from .domain import Status, can_cancel, can_edit, can_receive, require, total_cost
from .models import (
    CatalogItem,
    Department,
    HistoryEntry,
    IdempotencyKey,
    RequestLine,
    SupplyRequest,
    User,
    messaging,
)


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
    return [person for person in people if person.roles.intersection({LEADER, DIRECTOR})]


def departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.name)))


def submit_request(session: Session, principal: Principal, data: dict) -> SupplyRequest:
    """Create a request from validated input and announce it for approval."""
    # The id and the empty history are set here so that nothing needs a
    # flush or a lazy load before the single flush at commit.
    request = SupplyRequest(
        id=new_id(),
        requester=principal.username,
        requester_name=principal.name,
        department=principal.department,
        status=Status.SUBMITTED,
        round=1,
        history=[],
    )
    _fill(session, request, data)
    session.add(request)
    _submitted(session, request, principal, note="Submitted")
    return request


def submit_once(
    session: Session, principal: Principal, data: dict, key: str | None
) -> SupplyRequest:
    """Submit and commit; with an idempotency ``key``, a retry (even one racing
    the first attempt) gets what the first attempt created, and nothing new."""
    if key and (earlier := _submitted_with(session, principal, key)):
        return earlier
    created = submit_request(session, principal, data)
    if key:
        session.add(IdempotencyKey(username=principal.username, key=key, request_id=created.id))
    try:
        session.commit()
    except IntegrityError:
        # A racing retry with the same key committed first: answer with its result.
        session.rollback()
        earlier = _submitted_with(session, principal, key) if key else None
        if earlier is None:
            raise
        return earlier
    return created


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
    request.lines.clear()
    session.flush()
    _fill(session, request, data)
    request.round += 1
    request.status = Status.SUBMITTED
    _submitted(session, request, principal, note="Edited and resubmitted")
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


def _fill(session: Session, request: SupplyRequest, data: dict) -> None:
    skus = [line["sku"] for line in data["lines"]]
    catalog = {
        item.sku: item
        for item in session.scalars(select(CatalogItem).where(CatalogItem.sku.in_(skus)))
    }
    unknown = {
        index: {"sku": [f"Unknown item {line['sku']!r}."]}
        for index, line in enumerate(data["lines"])
        if line["sku"] not in catalog or not catalog[line["sku"]].active
    }
    if unknown:
        raise ValidationError({"lines": unknown})
    assigned_by = data.get("assigned_by") or None
    if assigned_by is not None:
        leader = session.scalar(select(User).where(User.username == assigned_by))
        if leader is None or not leader.roles.intersection({LEADER, DIRECTOR}):
            raise ValidationError({"assigned_by": [f"{assigned_by!r} is not a leader."]})
    request.purpose = data["purpose"]
    request.urgency = data.get("urgency", "normal")
    request.leader_assigned = bool(data.get("leader_assigned")) or assigned_by is not None
    request.assigned_by = assigned_by
    request.needed_by = data.get("needed_by")
    for position, line in enumerate(data["lines"]):
        item = catalog[line["sku"]]
        request.lines.append(
            RequestLine(
                position=position,
                sku=item.sku,
                name=item.name,
                unit=item.unit,
                unit_cost=item.unit_cost,
                quantity=line["quantity"],
            )
        )
    request.total = total_cost(request.domain_lines())


def _submitted(session: Session, request: SupplyRequest, principal: Principal, note: str) -> None:
    # These lookups need nothing of the new request: flushing it now would
    # only add a second flush before the one at commit.
    with session.no_autoflush:
        department = session.get(Department, request.department)
        director = session.scalar(
            select(User.username).where(User.roles_text.contains(DIRECTOR), User.active.is_(True))
        )
    _history(request, Status.SUBMITTED, principal.username, note)
    _publish(
        session,
        ev.REQUEST_SUBMITTED,
        request,
        {
            "request_id": request.id,
            "round": request.round,
            "requester": request.requester,
            "requester_name": request.requester_name,
            "department": request.department,
            "department_name": department.name if department else request.department,
            "department_head": department.head if department else None,
            "director": director,
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


def _publish(session: Session, event_type: str, request: SupplyRequest, data: dict) -> None:
    messaging.record(
        session, Event.new(event_type, data, source="requests", correlation_id=request.id)
    )
