from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from procurement_common.auth import DIRECTOR, LEADER, api_auth, current_user
from procurement_common.pagination import PageQuery, page_schema, paginate
from procurement_common.web import ERROR, db_session

from .. import workflow
from ..schemas import DelegationInSchema, DelegationOutSchema

blp = Blueprint(
    "delegations", __name__, url_prefix="/delegations", description="Cover while a leader is away"
)


@blp.route("")
class Delegations(MethodView):
    @api_auth()
    @blp.arguments(PageQuery(), location="query")
    @blp.response(200, page_schema(DelegationOutSchema))
    def get(self, query):
        """Delegations the caller gave or received, latest first (admins see all)."""
        listing = workflow.delegations_of(current_user())
        return paginate(db_session(), listing, query["page"], query["per_page"])

    @api_auth(LEADER, DIRECTOR)
    @blp.arguments(DelegationInSchema())
    @blp.response(201, DelegationOutSchema)
    @blp.alt_response(409, schema=ERROR, description="It overlaps another delegation of yours")
    def post(self, body):
        """Let another leader decide your tasks from ``starts`` to ``ends`` (whole
        days, UTC, both included). Ranges of one leader may not overlap."""
        session = db_session()
        delegation = workflow.add_delegation(session, current_user(), body)
        session.commit()
        return delegation
