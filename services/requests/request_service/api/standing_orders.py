from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from procurement_common.auth import api_auth, current_user
from procurement_common.pagination import PageQuery, page_schema, paginate
from procurement_common.web import ERROR, db_session

from .. import actions
from ..schemas import StandingOrderOutSchema

blp = Blueprint(
    "standing_orders",
    __name__,
    url_prefix="/standing-orders",
    description="Requests asked for again on a schedule",
)


@blp.route("")
class StandingOrders(MethodView):
    @api_auth()
    @blp.arguments(PageQuery(), location="query")
    @blp.response(200, page_schema(StandingOrderOutSchema))
    def get(self, query):
        """The caller's standing orders, running ones first, newest first.

        Make one with ``POST /requests/{id}/repeat``.
        """
        listing = actions.standing_orders_of(current_user())
        return paginate(db_session(), listing, query["page"], query["per_page"])


@blp.route("/<order_id>/stop")
class Stop(MethodView):
    @api_auth()
    @blp.response(200, StandingOrderOutSchema)
    @blp.alt_response(403, schema=ERROR, description="Someone else's standing order")
    @blp.alt_response(404, schema=ERROR, description="No standing order with this id")
    def post(self, order_id):
        """Stop a standing order: nothing more is submitted. Stopping it again answers the same."""
        session = db_session()
        order = actions.stop_standing_order(session, current_user(), order_id)
        session.commit()
        return order
