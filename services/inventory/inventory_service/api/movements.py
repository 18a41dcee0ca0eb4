"""Receipts and counts: the two ways goods enter or leave the books by hand."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from procurement_common.auth import CLERK, api_auth, current_user
from procurement_common.web import db_session

from ..schemas import AdjustmentInSchema, ItemSchema, LedgerEntrySchema, ReceiptInSchema
from ..stockroom import Stockroom

receipts = Blueprint("receipts", __name__, url_prefix="/receipts", description="Goods received")
adjustments = Blueprint(
    "adjustments", __name__, url_prefix="/adjustments", description="Stock counts"
)


class MovementSchema(Schema):
    entry = fields.Nested(LedgerEntrySchema)
    item = fields.Nested(ItemSchema)


@receipts.route("", methods=["POST"])
@api_auth(CLERK)
@receipts.arguments(ReceiptInSchema)
@receipts.response(201, MovementSchema)
def receive(data):
    """Goods arrived (clerk): add them to on-hand; waiting backorders are filled, most pressing first."""
    session = db_session()
    with Stockroom(session, current_user().username) as room:
        entry = room.receive(data["sku"], data["quantity"], data["note"])
    session.commit()
    return {"entry": entry, "item": room.item(data["sku"])}


@adjustments.route("", methods=["POST"])
@api_auth(CLERK)
@adjustments.arguments(AdjustmentInSchema)
@adjustments.response(201, MovementSchema)
def adjust(data):
    """A count (clerk): set on-hand to what was counted, with the reason for any difference.

    If the count is below what is reserved, the least pressing reservations
    go back to being backordered.
    """
    session = db_session()
    with Stockroom(session, current_user().username) as room:
        entry = room.adjust(data["sku"], data["counted_quantity"], data["reason"])
    session.commit()
    return {"entry": entry, "item": room.item(data["sku"])}
