from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from procurement_common.auth import ADMIN, DIRECTOR, LEADER, api_auth, current_user
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


@blp.route("/<delegation_id>/end")
class DelegationEnd(MethodView):
    @api_auth(LEADER, DIRECTOR, ADMIN)
    @blp.response(200, DelegationOutSchema)
    @blp.alt_response(403, schema=ERROR, description="Someone else's delegation")
    @blp.alt_response(404, schema=ERROR, description="No delegation with this id")
    @blp.alt_response(409, schema=ERROR, description="It is already over")
    def post(self, delegation_id):
        """End a delegation now, before its last day; one not started yet is cancelled.

        Only the leader who gave it, or an administrator, may end it. From then
        on the delegate no longer sees or decides the leader's tasks; what she
        decided stands. Ending it again answers the same.
        """
        session = db_session()
        delegation = workflow.end_delegation(session, current_user(), delegation_id)
        session.commit()
        return delegation
