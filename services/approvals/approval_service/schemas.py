"""Marshmallow schemas: each input schema reads a JSON body and its form twin alike."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from procurement_common.fields import Text
from procurement_common.pagination import PageQuery
from procurement_common.reporting import AgesSchema

from .rules import Decision, TaskStatus

MAX_MONEY = Decimal("9999999999.99")


class CutSchema(Schema):
    sku = Text(required=True, validate=validate.Length(min=1, max=64))
    approved_quantity = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(min=0, max=10000, error="A quantity is from 0 to 10000."),
    )


class DecisionInSchema(Schema):
    decision = fields.String(
        required=True,
        validate=validate.OneOf(
            [d.value for d in Decision], error="Decide approve, reject or return."
        ),
    )
    comment = Text(load_default="", validate=validate.Length(max=2000))
    lines = fields.List(
        fields.Nested(CutSchema), load_default=list, validate=validate.Length(max=100)
    )

    @validates_schema
    def _each_item_once(self, data, **_kwargs):
        skus = [line["sku"] for line in data.get("lines", [])]
        if len(skus) != len(set(skus)):
            raise ValidationError("List each item once.", field_name="lines")


class TaskQuerySchema(PageQuery):
    status = fields.String(validate=validate.OneOf([s.value for s in TaskStatus]))
    request_id = fields.String(validate=validate.Length(min=1, max=36))


class LineOutSchema(Schema):
    sku = fields.String()
    name = fields.String()
    unit = fields.String()
    unit_cost = fields.Decimal(as_string=True, places=2)
    quantity = fields.Integer(metadata={"description": "Asked for."})
    approved_quantity = fields.Integer(
        metadata={
            "description": "Granted by this task's approval; while pending, "
            "what the levels before it granted, the most it can approve."
        }
    )


class DecisionOutSchema(Schema):
    round = fields.Integer()
    level = fields.Integer()
    decision = fields.String()
    by = fields.String()
    acting_for = fields.String(allow_none=True)
    at = fields.DateTime()
    comment = fields.String()
    policy_version = fields.Integer()


class TaskOutSchema(Schema):
    id = fields.String()
    request_id = fields.String()
    round = fields.Integer()
    level = fields.Integer()
    approver = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    overdue = fields.Boolean()
    escalated_from = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(LineOutSchema))
    cost = fields.Decimal(as_string=True, places=2)
    requester = fields.String()
    requester_name = fields.String()
    department = fields.String()
    department_name = fields.String()
    purpose = fields.String()
    urgency = fields.String()
    leader_assigned = fields.Boolean()
    assigned_by = fields.String(allow_none=True)
    needed_by = fields.Date(allow_none=True)
    submitted_at = fields.DateTime()
    policy_version = fields.Integer()
    director_threshold = fields.Decimal(as_string=True, places=2)
    decision = fields.Nested(DecisionOutSchema, allow_none=True)
    history = fields.List(
        fields.Nested(DecisionOutSchema),
        metadata={"description": "Every other decision on the request, all rounds."},
    )


class PolicySchema(Schema):
    director_threshold = fields.Decimal(
        required=True,
        as_string=True,
        validate=validate.Range(
            min=0, max=MAX_MONEY, error="The threshold is an amount from 0 to 9999999999.99."
        ),
        metadata={"description": "Above this total, the director approves after the leader."},
    )
    version = fields.Integer(dump_only=True)
    set_by = fields.String(dump_only=True)
    set_at = fields.DateTime(dump_only=True, allow_none=True)

    @validates("director_threshold")
    def _cents(self, value, **_kwargs):
        if value != value.quantize(Decimal("0.01")):
            raise ValidationError("Give the amount to the cent at most, like 1000.00.")


class DelegationInSchema(Schema):
    delegate = Text(required=True, validate=validate.Length(min=1, max=64))
    starts = fields.Date(required=True, metadata={"description": "First day, YYYY-MM-DD (UTC)."})
    ends = fields.Date(required=True, metadata={"description": "Last day, inclusive."})


class DelegationOutSchema(Schema):
    id = fields.String()
    leader = fields.String()
    delegate = fields.String()
    starts = fields.Date()
    ends = fields.Date()
    created_by = fields.String()
    created_at = fields.DateTime()
    ended_by = fields.String(
        allow_none=True,
        metadata={"description": "Who ended it early; `approvals` when its delegate left."},
    )
    ended_at = fields.DateTime(allow_none=True)


class DeskSchema(Schema):
    decided = fields.Integer(metadata={"description": "Tasks decided in the period."})
    approved = fields.Integer()
    rejected = fields.Integer()
    returned = fields.Integer()
    by_delegate = fields.Integer(metadata={"description": "Decided by a delegate."})
    escalated = fields.Integer(
        metadata={"description": "Tasks handed up in the period, left idle too long."}
    )
    median_hours = fields.Float(
        allow_none=True, metadata={"description": "From the task's opening to its decision."}
    )
    p90_hours = fields.Float(
        allow_none=True, metadata={"description": "Nine in ten took no longer."}
    )
    waiting = fields.Nested(AgesSchema, metadata={"description": "Pending now, by age."})


class LevelDeskSchema(DeskSchema):
    level = fields.Integer()


class ApproverDeskSchema(DeskSchema):
    approver = fields.String(
        metadata={"description": "Whose desk: role:admin for the administrators."}
    )


class TurnaroundSchema(Schema):
    since = fields.Date()
    until = fields.Date()
    as_of = fields.DateTime(metadata={"description": "When the waiting tasks were counted."})
    overall = fields.Nested(DeskSchema)
    levels = fields.List(fields.Nested(LevelDeskSchema))
    approvers = fields.List(fields.Nested(ApproverDeskSchema))
