"""Marshmallow schemas: each validates a form and its JSON twin alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from procurement_common.auth import ROLES
from procurement_common.fields import Text
from procurement_common.pagination import PageQuery
from procurement_common.reporting import AgesSchema, PeriodQuery

from .domain import Status, allowed_actions
from .people import DEPARTMENT_CODE, USERNAME
from .standing import Every

MAX_LINES = 50


class LineInSchema(Schema):
    sku = Text(
        required=True,
        validate=validate.Length(min=1, max=64, error="Choose an item from the catalog."),
        error_messages={"required": "Choose an item from the catalog."},
    )
    quantity = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(min=1, max=10000, error="Quantity must be from 1 to 10000."),
        error_messages={
            "required": "Say how many.",
            "invalid": "Quantity must be a whole number from 1 to 10000.",
        },
    )


class RequestInSchema(Schema):
    lines = fields.List(
        fields.Nested(LineInSchema),
        required=True,
        validate=validate.Length(
            min=1, max=MAX_LINES, error=f"Ask for 1 to {MAX_LINES} items in one request."
        ),
    )
    purpose = Text(
        required=True,
        validate=validate.Length(
            min=1, max=1000, error="Say what it is for (up to 1000 characters)."
        ),
    )
    urgency = fields.String(load_default="normal", validate=validate.OneOf(["normal", "urgent"]))
    leader_assigned = fields.Boolean(load_default=False)
    assigned_by = Text(load_default=None, allow_none=True, validate=validate.Length(max=64))
    needed_by = fields.Date(load_default=None, allow_none=True)

    @validates("needed_by")
    def _not_in_past(self, value, **_kwargs):
        if value is not None and value < datetime.now(UTC).date():
            raise ValidationError("The needed-by date cannot be in the past.")

    @validates_schema
    def _each_item_once(self, data, **_kwargs):
        skus = [line["sku"] for line in data.get("lines", [])]
        if len(skus) != len(set(skus)):
            raise ValidationError("List each item once.", field_name="lines")


class NoteSchema(Schema):
    """The optional note on cancelling or confirming receipt."""

    note = Text(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=1000, error="Keep the note under 1000 characters."),
    )


class RequestQuerySchema(PageQuery):
    status = fields.String(validate=validate.OneOf([s.value for s in Status]))
    department = fields.String(validate=validate.Length(min=1, max=16))


class LineOutSchema(Schema):
    sku = fields.String()
    name = fields.String()
    unit = fields.String()
    unit_cost = fields.Decimal(as_string=True, places=2)
    quantity = fields.Integer()
    approved_quantity = fields.Integer(allow_none=True)
    reserved_quantity = fields.Integer()
    issued_quantity = fields.Integer()


class HistoryOutSchema(Schema):
    status = fields.String()
    at = fields.DateTime()
    by = fields.String()
    acting_for = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    round = fields.Integer()


class RequestOutSchema(Schema):
    id = fields.String()
    status = fields.String()
    requester = fields.String()
    requester_name = fields.String()
    department = fields.String()
    purpose = fields.String()
    urgency = fields.String()
    leader_assigned = fields.Boolean()
    assigned_by = fields.String(allow_none=True)
    needed_by = fields.Date(allow_none=True)
    round = fields.Integer()
    total = fields.Decimal(as_string=True, places=2)
    pending_approver = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    lines = fields.List(fields.Nested(LineOutSchema))
    history = fields.List(fields.Nested(HistoryOutSchema))
    actions = fields.Method("_actions")

    def _actions(self, obj) -> list[str]:
        return allowed_actions(Status(obj.status))


class RequestSummarySchema(RequestOutSchema):
    class Meta:
        exclude = ("history",)


class TokenInSchema(Schema):
    username = Text(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenOutSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class CatalogItemSchema(Schema):
    sku = fields.String()
    name = fields.String()
    unit = fields.String()
    category = fields.String(allow_none=True)
    unit_cost = fields.Decimal(as_string=True, places=2)
    available = fields.Integer()


class UserOutSchema(Schema):
    id = fields.String()
    username = fields.String()
    name = fields.String()
    department = fields.String(attribute="department_code")
    roles = fields.Function(lambda user: sorted(user.roles))
    active = fields.Boolean()


class ProgressQuerySchema(PeriodQuery):
    department = Text(
        allow_none=True,
        validate=validate.Length(max=16),
        metadata={"description": "One department's code; every department's if not given."},
    )


class StageSchema(Schema):
    stage = fields.String(attribute="stage.name")
    label = fields.String(attribute="stage.label")
    completed = fields.Integer(metadata={"description": "Requests that finished it in the period."})
    median_hours = fields.Float(allow_none=True)
    p90_hours = fields.Float(
        allow_none=True, metadata={"description": "Nine in ten took no longer."}
    )


class WaitingStatusSchema(AgesSchema):
    status = fields.String()


class ProgressSchema(Schema):
    since = fields.Date()
    until = fields.Date()
    department = fields.String(allow_none=True)
    as_of = fields.DateTime(metadata={"description": "When the open requests were counted."})
    stages = fields.List(fields.Nested(StageSchema))
    waiting = fields.List(
        fields.Nested(WaitingStatusSchema),
        metadata={"description": "Open requests by status, counted by time in it."},
    )


class RepeatInSchema(Schema):
    """Ask for a request again on a schedule: a form and its JSON twin."""

    every = fields.String(
        required=True,
        validate=validate.OneOf(
            [every.value for every in Every], error="Choose every week, month or quarter."
        ),
    )
    starts = fields.Date(
        required=True,
        metadata={"description": "The first day it is submitted; later ones fall on its day."},
        error_messages={"required": "Say from which day.", "invalid": "Give a date."},
    )

    @validates("starts")
    def _from_today_to_a_year_ahead(self, value, **_kwargs):
        today = datetime.now(UTC).date()
        if value < today:
            raise ValidationError("The first day cannot be in the past.")
        if value - today > timedelta(days=366):
            raise ValidationError("Start within a year.")


class StandingOrderLineSchema(Schema):
    sku = fields.String()
    quantity = fields.Integer()


class StandingOrderEntrySchema(Schema):
    action = fields.String(metadata={"description": "made, submitted, refused or stopped"})
    at = fields.DateTime()
    by = fields.String()
    due_on = fields.Date(allow_none=True)
    request_id = fields.String(allow_none=True, metadata={"description": "The request submitted."})
    note = fields.String(allow_none=True)


class StandingOrderOutSchema(Schema):
    id = fields.String()
    requester = fields.String()
    purpose = fields.String()
    urgency = fields.String()
    lines = fields.List(fields.Nested(StandingOrderLineSchema))
    every = fields.String()
    next_on = fields.Date(metadata={"description": "When it is next submitted, while active."})
    active = fields.Boolean()
    created_from = fields.String(allow_none=True)
    created_at = fields.DateTime()
    stopped_at = fields.DateTime(allow_none=True)
    stopped_by = fields.String(allow_none=True)
    last_request_id = fields.String(
        allow_none=True, metadata={"description": "The request it last submitted."}
    )
    last_refusal = fields.String(
        allow_none=True,
        metadata={"description": "Why its last day made no request (an item no longer stocked)."},
    )
    history = fields.List(fields.Nested(StandingOrderEntrySchema))


class UserSchema(Schema):
    """A person an administrator adds."""

    username = Text(
        required=True,
        validate=validate.Regexp(
            USERNAME,
            error="2 to 64 small letters, digits, dots, dashes or underscores, from a letter.",
        ),
    )
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    department = Text(required=True, validate=validate.Length(min=1, max=16))
    roles = fields.List(
        fields.String(validate=validate.OneOf(ROLES)),
        required=True,
        validate=validate.Length(min=1, error="Give at least one role."),
    )
    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=10, max=200, error="A password has 10 to 200 characters."),
    )
    active = fields.Boolean(metadata={"description": "Whether she may sign in."})


class UserChangeSchema(UserSchema):
    """What an administrator changes about a person; what is left out stays."""

    class Meta:
        exclude = ("username",)


class DepartmentSchema(Schema):
    code = Text(
        required=True,
        validate=validate.Regexp(
            DEPARTMENT_CODE, error="1 to 16 capital letters, digits, dashes or underscores."
        ),
    )
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    head = Text(
        allow_none=True,
        validate=validate.Length(max=64),
        metadata={"description": "Its leader, who approves its requests first."},
    )


class DepartmentChangeSchema(DepartmentSchema):
    class Meta:
        exclude = ("code",)


class AccountChangeOutSchema(Schema):
    at = fields.DateTime()
    by = fields.String()
    subject = fields.String(metadata={"description": "user:<username> or department:<code>"})
    change = fields.String()
