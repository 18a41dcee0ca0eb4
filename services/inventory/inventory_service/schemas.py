"""Marshmallow schemas: each validates a form and its JSON twin alike."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from procurement_common.fields import Text
from procurement_common.pagination import PageQuery
from procurement_common.reporting import PeriodQuery
from procurement_common.web import db_session

from .models import Item
from .stock import Status
from .usage import PACE_DAYS

MAX_QUANTITY = 10000
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


def known_sku(sku: str) -> None:
    if db_session().get(Item, sku) is None:
        raise ValidationError(f"No item has SKU {sku!r}.")


def _quantity(**kwargs) -> fields.Integer:
    return fields.Integer(
        strict=False,
        validate=validate.Range(
            min=1, max=MAX_QUANTITY, error=f"Quantity must be from 1 to {MAX_QUANTITY}."
        ),
        **kwargs,
    )


# -- items -----------------------------------------------------------------
class ItemFieldsSchema(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    unit = Text(required=True, validate=validate.Length(min=1, max=32))
    category = Text(load_default=None, allow_none=True, validate=validate.Length(max=64))
    unit_cost = fields.Decimal(
        required=True,
        places=2,
        as_string=True,
        validate=validate.Range(min=0, max=9_999_999_999, error="Unit cost must be 0 or more."),
    )
    reorder_level = fields.Integer(
        required=True, strict=False, validate=validate.Range(min=0, max=1_000_000)
    )
    reorder_quantity = fields.Integer(
        required=True, strict=False, validate=validate.Range(min=0, max=1_000_000)
    )
    active = fields.Boolean(load_default=True)


class ItemInSchema(ItemFieldsSchema):
    sku = Text(
        required=True,
        validate=[
            validate.Length(min=1, max=64),
            validate.Regexp(SKU_PATTERN, error="Use letters, digits and . _ - only."),
        ],
    )
    # Opening stock, booked in the ledger as a receipt with the item.
    on_hand = fields.Integer(
        load_default=0, strict=False, validate=validate.Range(min=0, max=1_000_000)
    )


class ItemSchema(Schema):
    sku = fields.String()
    name = fields.String()
    unit = fields.String()
    category = fields.String(allow_none=True)
    unit_cost = fields.Decimal(as_string=True, places=2)
    on_hand = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer()
    reorder_level = fields.Integer()
    reorder_quantity = fields.Integer()
    active = fields.Boolean()
    low = fields.Boolean()
    updated_at = fields.DateTime()


class ItemQuerySchema(PageQuery):
    q = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))
    category = Text(load_default=None, allow_none=True, validate=validate.Length(max=64))
    low = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=None, allow_none=True)


# -- stock movements -------------------------------------------------------
class ReceiptInSchema(Schema):
    sku = Text(required=True, validate=[validate.Length(min=1, max=64), known_sku])
    quantity = _quantity(required=True)
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))


class AdjustmentInSchema(Schema):
    sku = Text(required=True, validate=[validate.Length(min=1, max=64), known_sku])
    counted_quantity = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(min=0, max=1_000_000, error="A count is 0 or more."),
    )
    reason = Text(
        required=True,
        validate=validate.Length(min=1, max=500, error="Say why the count differs."),
    )


class LedgerEntrySchema(Schema):
    id = fields.String()
    sku = fields.String()
    kind = fields.String()
    on_hand_change = fields.Integer()
    reserved_change = fields.Integer()
    on_hand_after = fields.Integer()
    reserved_after = fields.Integer()
    request_id = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    by = fields.String()
    at = fields.DateTime()


class ItemChangeSchema(Schema):
    id = fields.String()
    sku = fields.String()
    change = fields.String(
        metadata={"description": "Each field from what to what, or what the item was added with."}
    )
    by = fields.String()
    at = fields.DateTime()


# -- reservations and hand-outs ---------------------------------------------
class ReservationLineSchema(Schema):
    sku = fields.String()
    name = fields.String(attribute="item.name")
    unit = fields.String(attribute="item.unit")
    approved_quantity = fields.Integer(attribute="approved")
    reserved_quantity = fields.Integer(attribute="reserved")
    issued_quantity = fields.Integer(attribute="issued")
    backordered_quantity = fields.Integer(attribute="backordered")


class HandoutLineSchema(Schema):
    sku = fields.String()
    quantity = fields.Integer()
    unit_cost = fields.Decimal(
        as_string=True, places=2, metadata={"description": "What one unit cost when it went out."}
    )


class HandoutSchema(Schema):
    id = fields.String()
    by = fields.String()
    at = fields.DateTime()
    complete = fields.Boolean()
    lines = fields.List(fields.Nested(HandoutLineSchema))


class ReservationSchema(Schema):
    request_id = fields.String()
    status = fields.String()
    requester = fields.String(allow_none=True)
    requester_name = fields.String(allow_none=True)
    purpose = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    department_name = fields.String(allow_none=True)
    urgency = fields.String()
    leader_assigned = fields.Boolean()
    needed_by = fields.Date(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    reserved = fields.Integer()
    backordered = fields.Integer()
    lines = fields.List(fields.Nested(ReservationLineSchema))
    handouts = fields.List(fields.Nested(HandoutSchema))


class ReservationQuerySchema(PageQuery):
    request_id = Text(load_default=None, allow_none=True, validate=validate.Length(max=64))
    status = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf([s.value for s in Status])
    )


class HandoutLineInSchema(Schema):
    sku = Text(required=True, validate=validate.Length(min=1, max=64))
    quantity = _quantity(required=True)


class HandoutInSchema(Schema):
    request_id = Text(required=True, validate=validate.Length(min=1, max=64))
    lines = fields.List(
        fields.Nested(HandoutLineInSchema),
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=100),
    )

    @validates_schema
    def _each_item_once(self, data, **_kwargs):
        skus = [line["sku"] for line in data.get("lines") or []]
        if len(skus) != len(set(skus)):
            raise ValidationError("List each item once.", field_name="lines")


# -- alerts and reorder suggestions ------------------------------------------
class AlertSchema(Schema):
    id = fields.String()
    sku = fields.String()
    name = fields.String(attribute="item.name")
    unit = fields.String(attribute="item.unit")
    status = fields.String()
    reorder_level = fields.Integer()
    reorder_quantity = fields.Integer()
    available_at_open = fields.Integer()
    opened_at = fields.DateTime()
    available_at_resolve = fields.Integer(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    available_now = fields.Integer(attribute="item.available")


class AlertQuerySchema(PageQuery):
    status = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(["open", "resolved"])
    )


class FeedKeySchema(Schema):
    key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class SuggestionSchema(Schema):
    sku = fields.String()
    name = fields.String()
    unit = fields.String()
    category = fields.String(allow_none=True)
    unit_cost = fields.Decimal(as_string=True, places=2)
    on_hand = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer()
    backordered = fields.Integer()
    reorder_level = fields.Integer()
    reorder_quantity = fields.Integer()
    quantity = fields.Integer()
    cost = fields.Decimal(as_string=True, places=2)
    expected_use = fields.Integer(
        metadata={
            "description": "What is likely to go out before an order arrives "
            "(REORDER_LEAD_DAYS at the pace of the last 90 days)."
        }
    )
    reason = fields.String()


class SuggestionListSchema(Schema):
    items = fields.List(fields.Nested(SuggestionSchema))
    total = fields.Integer()
    cost = fields.Decimal(as_string=True, places=2)


# -- the usage report ----------------------------------------------------------
class UsageQuerySchema(PeriodQuery):
    """The usage report's period, by default the 90 days ending today, and department."""

    DEFAULT_DAYS = PACE_DAYS

    department = Text(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=16),
        metadata={"description": "One department; a leader may only ask for her own."},
    )


class DepartmentUsageSchema(Schema):
    department = fields.String(allow_none=True)
    department_name = fields.String(allow_none=True)
    sku = fields.String()
    name = fields.String()
    unit = fields.String()
    quantity = fields.Integer()
    requests = fields.Integer()
    unit_cost = fields.Decimal(
        as_string=True,
        places=2,
        metadata={"description": "What one unit cost when it went out, on average."},
    )
    value = fields.Decimal(
        as_string=True, places=2, metadata={"description": "At what it cost when it went out."}
    )


class ItemUsageSchema(Schema):
    sku = fields.String()
    name = fields.String()
    unit = fields.String()
    quantity = fields.Integer()
    unit_cost = fields.Decimal(
        as_string=True, places=2, metadata={"description": "What one unit costs today."}
    )
    value = fields.Decimal(
        as_string=True, places=2, metadata={"description": "At what it cost when it went out."}
    )
    per_30_days = fields.Float()
    available = fields.Integer()
    days_of_cover = fields.Integer(allow_none=True)


class UsageTotalsSchema(Schema):
    quantity = fields.Integer()
    requests = fields.Integer()
    value = fields.Decimal(as_string=True, places=2)


class UsageReportSchema(Schema):
    since = fields.Date()
    until = fields.Date()
    days = fields.Integer()
    department = fields.String(allow_none=True)
    department_name = fields.String(allow_none=True)
    by_department = fields.List(fields.Nested(DepartmentUsageSchema))
    by_item = fields.List(fields.Nested(ItemUsageSchema))
    totals = fields.Nested(UsageTotalsSchema)
