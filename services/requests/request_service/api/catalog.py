from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from procurement_common.auth import api_auth
from procurement_common.pagination import PageQuery, page_schema, paginate
from procurement_common.web import db_session

from ..models import CatalogItem
from ..schemas import CatalogItemSchema

blp = Blueprint(
    "catalog", __name__, url_prefix="/catalog", description="Items that can be asked for"
)


@blp.route("")
class Catalog(MethodView):
    @api_auth()
    @blp.arguments(PageQuery(), location="query")
    @blp.response(200, page_schema(CatalogItemSchema))
    def get(self, query):
        """Items that can be asked for, as this service last heard of them from inventory."""
        items = select(CatalogItem).where(CatalogItem.active.is_(True)).order_by(CatalogItem.name)
        return paginate(db_session(), items, query["page"], query["per_page"])
