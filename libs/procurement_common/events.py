"""The event envelope and the contract of every event's ``data``.

Producers validate ``data`` before it enters the outbox, consumers validate
the envelope when it arrives; a message that fails is a poison message and
goes to the dead-letter queue instead of being retried forever.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import EXCLUDE, INCLUDE, Schema, ValidationError, fields, validate

from .db import new_id, utcnow

EXCHANGE = "procurement"
VERSION = 1

# Event types: what happened, in the past tense.
REQUEST_SUBMITTED = "request.submitted"
REQUEST_CANCELLED = "request.cancelled"
REQUEST_RECEIVED = "request.received"
APPROVAL_REQUESTED = "approval.requested"
APPROVAL_REMINDED = "approval.reminded"
APPROVAL_ESCALATED = "approval.escalated"
APPROVAL_APPROVED = "approval.approved"
APPROVAL_REJECTED = "approval.rejected"
APPROVAL_RETURNED = "approval.returned"
STOCK_RESERVED = "stock.reserved"
STOCK_ISSUED = "stock.issued"
STOCK_LOW = "stock.low"
STOCK_RESTORED = "stock.restored"
ITEM_CHANGED = "item.changed"
ACCOUNT_CHANGED = "account.changed"

# An approver that is no one person: any administrator may decide. The
# director's own requests go there, as nobody in the office ranks above her.
ADMINISTRATORS = "role:admin"


class _Data(Schema):
    class Meta:
        # Newer producers may add fields; older consumers must not choke on them.
        unknown = INCLUDE


class SubmittedLine(Schema):
    class Meta:
        unknown = INCLUDE

    sku = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    quantity = fields.Integer(required=True, validate=validate.Range(min=1))
    unit_cost = fields.Decimal(as_string=True, places=2, required=True)


class RequestSubmitted(_Data):
    request_id = fields.String(required=True)
    round = fields.Integer(required=True, validate=validate.Range(min=1))
    requester = fields.String(required=True)
    requester_name = fields.String(required=True)
    department = fields.String(required=True)
    department_name = fields.String(required=True)
    department_head = fields.String(required=True, allow_none=True)
    director = fields.String(required=True, allow_none=True)
    # What approvals' pages call them; submissions sent before it lack them.
    department_head_name = fields.String(allow_none=True, load_default=None)
    director_name = fields.String(allow_none=True, load_default=None)
    lines = fields.List(
        fields.Nested(SubmittedLine), required=True, validate=validate.Length(min=1)
    )
    total = fields.Decimal(as_string=True, places=2, required=True)
    purpose = fields.String(required=True)
    urgency = fields.String(required=True, validate=validate.OneOf(["normal", "urgent"]))
    leader_assigned = fields.Boolean(required=True)
    assigned_by = fields.String(allow_none=True, load_default=None)
    needed_by = fields.Date(allow_none=True, load_default=None)
    submitted_at = fields.DateTime(required=True)


class RequestClosed(_Data):
    """``request.cancelled`` and ``request.received``."""

    request_id = fields.String(required=True)
    by = fields.String(required=True)


class ApprovalRequested(_Data):
    request_id = fields.String(required=True)
    task_id = fields.String(required=True)
    round = fields.Integer(required=True)
    level = fields.Integer(required=True)
    approver = fields.String(required=True)
    # The decision of the level before, when this task follows one.
    previous = fields.Dict(allow_none=True, load_default=None)


class ApprovedLine(Schema):
    class Meta:
        unknown = INCLUDE

    sku = fields.String(required=True)
    quantity = fields.Integer(required=True)
    approved_quantity = fields.Integer(required=True, validate=validate.Range(min=0))


class ApprovalApproved(_Data):
    request_id = fields.String(required=True)
    round = fields.Integer(required=True)
    by = fields.String(required=True)
    acting_for = fields.String(allow_none=True, load_default=None)
    comment = fields.String(allow_none=True, load_default=None)
    lines = fields.List(fields.Nested(ApprovedLine), required=True)
    # What inventory needs to fill backorders most pressing first.
    requester = fields.String(required=True)
    department = fields.String(required=True)
    # For inventory's reports; events recorded before it was sent lack it.
    department_name = fields.String(allow_none=True, load_default=None)
    # Who asked and what for, for the clerk's hand-out queue; likewise optional.
    requester_name = fields.String(allow_none=True, load_default=None)
    purpose = fields.String(allow_none=True, load_default=None)
    urgency = fields.String(required=True)
    leader_assigned = fields.Boolean(required=True)
    needed_by = fields.Date(allow_none=True, load_default=None)
    submitted_at = fields.DateTime(required=True)


class ApprovalClosed(_Data):
    """``approval.rejected`` and ``approval.returned``: a comment is required."""

    request_id = fields.String(required=True)
    round = fields.Integer(required=True)
    by = fields.String(required=True)
    acting_for = fields.String(allow_none=True, load_default=None)
    comment = fields.String(required=True, validate=validate.Length(min=1))


class ApprovalNudged(_Data):
    """``approval.reminded`` and ``approval.escalated``."""

    request_id = fields.String(required=True)
    task_id = fields.String(required=True)
    approver = fields.String(required=True)
    pending_seconds = fields.Integer(required=True)
    escalated_to = fields.String(allow_none=True, load_default=None)
    # Why it was handed up, in words: idle too long, or its approver left.
    reason = fields.String(allow_none=True, load_default=None)


class ReservedLine(Schema):
    class Meta:
        unknown = INCLUDE

    sku = fields.String(required=True)
    reserved_quantity = fields.Integer(required=True, validate=validate.Range(min=0))
    backordered_quantity = fields.Integer(required=True, validate=validate.Range(min=0))


class StockReserved(_Data):
    request_id = fields.String(required=True)
    lines = fields.List(fields.Nested(ReservedLine), required=True)
    backordered = fields.List(fields.String(), required=True)


class IssuedLine(Schema):
    class Meta:
        unknown = INCLUDE

    sku = fields.String(required=True)
    issued_quantity = fields.Integer(required=True, validate=validate.Range(min=0))


class StockIssued(_Data):
    request_id = fields.String(required=True)
    by = fields.String(required=True)
    lines = fields.List(fields.Nested(IssuedLine), required=True)
    complete = fields.Boolean(required=True)


class StockAlert(_Data):
    """``stock.low`` and ``stock.restored``."""

    alert_id = fields.String(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    available = fields.Integer(required=True)
    reorder_level = fields.Integer(required=True)
    reorder_quantity = fields.Integer(required=True)


class ItemChanged(_Data):
    sku = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    category = fields.String(allow_none=True, load_default=None)
    unit_cost = fields.Decimal(as_string=True, places=2, required=True)
    available = fields.Integer(required=True)
    reorder_level = fields.Integer(required=True)
    reorder_quantity = fields.Integer(required=True)
    active = fields.Boolean(load_default=True)


class AccountChanged(_Data):
    """A person's account changed; her tokens issued before ``changed_at`` stop counting."""

    username = fields.String(required=True)
    # Her full name; announcements made before it was carried lack it.
    name = fields.String(allow_none=True, load_default=None)
    changed_at = fields.AwareDateTime(required=True)
    active = fields.Boolean(required=True)
    department = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)


DATA_SCHEMAS: dict[str, type[Schema]] = {
    REQUEST_SUBMITTED: RequestSubmitted,
    REQUEST_CANCELLED: RequestClosed,
    REQUEST_RECEIVED: RequestClosed,
    APPROVAL_REQUESTED: ApprovalRequested,
    APPROVAL_REMINDED: ApprovalNudged,
    APPROVAL_ESCALATED: ApprovalNudged,
    APPROVAL_APPROVED: ApprovalApproved,
    APPROVAL_REJECTED: ApprovalClosed,
    APPROVAL_RETURNED: ApprovalClosed,
    STOCK_RESERVED: StockReserved,
    STOCK_ISSUED: StockIssued,
    STOCK_LOW: StockAlert,
    STOCK_RESTORED: StockAlert,
    ITEM_CHANGED: ItemChanged,
    ACCOUNT_CHANGED: AccountChanged,
}


@functools.cache
def _schema(event_type: str) -> Schema:
    # Schemas hold no per-call state, and building one is costly on a hot path.
    return DATA_SCHEMAS[event_type]()


class EnvelopeSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(DATA_SCHEMAS))
    version = fields.Integer(required=True, validate=validate.Equal(VERSION))
    occurred_at = fields.AwareDateTime(required=True)
    source = fields.String(required=True)
    correlation_id = fields.String(allow_none=True, load_default=None)
    data = fields.Dict(required=True)


_ENVELOPE = EnvelopeSchema()


class InvalidEvent(ValueError):
    """A message that can never be handled: not JSON, or not our envelope."""


@dataclass(frozen=True)
class Event:
    type: str
    data: dict[str, Any]
    source: str
    correlation_id: str | None = None
    id: str = field(default_factory=new_id)
    occurred_at: datetime = field(default_factory=utcnow)
    version: int = VERSION
    # The data as its contract loads it, when checking it on arrival already did.
    _loaded: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def new(cls, type_: str, data: dict[str, Any], *, source: str, correlation_id=None) -> Event:
        """Make an event whose ``data`` is serialised by its contract.

        It is not checked here: every consumer checks each event on arrival
        and dead-letters one that breaks its contract, and the test suite
        checks every event the services record (``contract_errors``).
        Checking again on every publish cost 0.12 ms a time, a few times
        per request.
        """
        return cls(type_, _schema(type_).dump(data), source, correlation_id)

    def contract_errors(self) -> dict[str, Any]:
        """What in ``data`` breaks the contract of the event's type; empty if nothing."""
        return _schema(self.type).validate(self.data)

    def to_json(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "type": self.type,
                "version": self.version,
                "occurred_at": self.occurred_at.isoformat(),
                "source": self.source,
                "correlation_id": self.correlation_id,
                "data": self.data,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, body: bytes | str) -> Event:
        try:
            raw = json.loads(body)
            envelope = _ENVELOPE.load(raw)
            loaded = _schema(envelope["type"]).load(envelope["data"])
        except (ValueError, ValidationError, TypeError) as exc:
            raise InvalidEvent(str(exc)) from exc
        # Handlers get the data as sent (plain JSON types), already checked.
        return cls(
            type=envelope["type"],
            data=raw["data"],
            source=envelope["source"],
            correlation_id=envelope["correlation_id"],
            id=str(envelope["id"]),
            occurred_at=envelope["occurred_at"],
            version=envelope["version"],
            _loaded=loaded,
        )

    def load_data(self) -> dict[str, Any]:
        """The data with its contract's types (dates, decimals); read it, do not change it."""
        if self._loaded is not None:
            return self._loaded
        return _schema(self.type).load(self.data)
