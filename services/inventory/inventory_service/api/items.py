from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import Select

from procurement_common.auth import CLERK, api_auth, current_user
from procurement_common.pagination import PageQuery, page_schema, paginate
from procurement_common.web import ERROR, db_session

from ..queries import item_changes_query, items_query, ledger_query
from ..schemas import (
    ItemChangeSchema,
    ItemFieldsSchema,
    ItemInSchema,
    ItemQuerySchema,
    ItemSchema,
    LedgerEntrySchema,
)
from ..stockroom import Stockroom

blp = Blueprint("items", __name__, url_prefix="/items", description="Items and their stock")


@blp.route("")
class Items(MethodView):
    @api_auth()
    @blp.arguments(ItemQuerySchema(), location="query")
    @blp.response(200, page_schema(ItemSchema))
    def get(self, query):
        """Items with their stock, by SKU.

        ``q`` searches SKU and name, ``category`` narrows to one category,
        ``low=true`` keeps the items at or below their reorder level.
        """
        listing = items_query(query["q"], query["category"], query["low"], query["active"])
        return paginate(db_session(), listing, query["page"], query["per_page"])

    @api_auth(CLERK)
    @blp.arguments(ItemInSchema())
    @blp.response(201, ItemSchema)
    @blp.alt_response(409, schema=ERROR, description="An item with this SKU exists")
    def post(self, data):
        """Add an item (clerk). Its stock starts at 0; receive goods to fill it."""
        session = db_session()
        with Stockroom(session, current_user().username) as room:
            item = room.add_item(data)
        session.commit()
        return item


@blp.route("/<sku>")
class ItemBySku(MethodView):
    @api_auth()
    @blp.response(200, ItemSchema)
    @blp.alt_response(404, schema=ERROR, description="No item with this SKU")
    def get(self, sku):
        """One item with its stock."""
        return Stockroom(db_session(), current_user().username).item(sku)

    @api_auth(CLERK)
    @blp.arguments(ItemFieldsSchema(partial=True))
    @blp.response(200, ItemSchema)
    @blp.alt_response(404, schema=ERROR, description="No item with this SKU")
    def patch(self, data, sku):
        """Change an item's details (clerk); stock changes only through receipts and counts."""
        session = db_session()
        with Stockroom(session, current_user().username) as room:
            item = room.change_item(sku, data)
        session.commit()
        return item


@blp.route("/<sku>/ledger")
class ItemLedger(MethodView):
    @api_auth()
    @blp.arguments(PageQuery(), location="query")
    @blp.response(200, page_schema(LedgerEntrySchema))
    @blp.alt_response(404, schema=ERROR, description="No item with this SKU")
    def get(self, query, sku):
        """Every movement of an item's stock, newest first."""
        return _page_of_item(sku, ledger_query(sku), query)


@blp.route("/<sku>/changes")
class ItemChanges(MethodView):
    @api_auth()
    @blp.arguments(PageQuery(), location="query")
    @blp.response(200, page_schema(ItemChangeSchema))
    @blp.alt_response(404, schema=ERROR, description="No item with this SKU")
    def get(self, query, sku):
        """Every change to an item's details, and its addition, newest first:
        who changed what, from what to what, and when."""
        return _page_of_item(sku, item_changes_query(sku), query)


def _page_of_item(sku: str, listing: Select, query: dict) -> dict:
    """A page of one item's history; 404 for an item that does not exist."""
    session = db_session()
    Stockroom(session, current_user().username).item(sku)
    return paginate(session, listing, query["page"], query["per_page"])
