from __future__ import annotations

from flask import request as http_request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from procurement_common.auth import api_auth, current_user
from procurement_common.pagination import page_schema, paginate
from procurement_common.web import ERROR, db_session

from .. import actions
from ..schemas import (
    NoteSchema,
    RepeatInSchema,
    RequestInSchema,
    RequestOutSchema,
    RequestQuerySchema,
    RequestSummarySchema,
    StandingOrderOutSchema,
)

blp = Blueprint("supply_requests", __name__, url_prefix="/requests", description="Supply requests")


def _idempotency_key() -> str | None:
    key = http_request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 200:
        abort(400, message="Idempotency-Key must be 1 to 200 characters.")
    return key


@blp.route("")
class SupplyRequests(MethodView):
    @api_auth()
    @blp.arguments(RequestQuerySchema(), location="query")
    @blp.response(200, page_schema(RequestSummarySchema))
    @blp.alt_response(403, schema=ERROR, description="Not a department you may list")
    def get(self, query):
        """The caller's requests, newest first.

        Leaders may pass ``department`` for their own department's requests,
        and clerks and the director for any department's.
        """
        listing = actions.listing(current_user(), query.get("department"), query.get("status"))
        return paginate(db_session(), listing, query["page"], query["per_page"])

    @api_auth()
    @blp.arguments(RequestInSchema())
    @blp.response(201, RequestOutSchema)
    @blp.alt_response(400, schema=ERROR, description="An Idempotency-Key over 200 characters")
    def post(self, data):
        """Ask for supplies. With an ``Idempotency-Key`` header, a retry returns the first result."""
        return actions.submit_once(db_session(), current_user(), data, _idempotency_key())


@blp.route("/<request_id>")
class OneRequest(MethodView):
    @api_auth()
    @blp.response(200, RequestOutSchema)
    @blp.alt_response(403, schema=ERROR, description="Someone else's request")
    @blp.alt_response(404, schema=ERROR, description="No request with this id")
    def get(self, request_id):
        """One request with its lines and full history."""
        return actions.get_visible(db_session(), current_user(), request_id)

    @api_auth()
    @blp.arguments(RequestInSchema())
    @blp.response(200, RequestOutSchema)
    @blp.alt_response(403, schema=ERROR, description="Only the requester may edit it")
    @blp.alt_response(404, schema=ERROR, description="No request with this id")
    @blp.alt_response(409, schema=ERROR, description="The request is not returned")
    def put(self, data, request_id):
        """Edit a returned request and resubmit it for a fresh round of approval."""
        session = db_session()
        changed = actions.resubmit_request(session, current_user(), request_id, data)
        session.commit()
        return changed


def _requester_action(view):
    """Document the answers of an action the requester takes on her request."""
    for status, description in (
        (409, "Not possible in the request's status"),
        (404, "No request with this id"),
        (403, "Only the requester may do this"),
    ):
        view = blp.alt_response(status, schema=ERROR, description=description)(view)
    return view


def _act(action, request_id: str, note: str | None):
    session = db_session()
    changed = action(session, current_user(), request_id, note)
    session.commit()
    return changed


@blp.route("/<request_id>/cancel")
class Cancel(MethodView):
    @api_auth()
    @blp.arguments(NoteSchema(), required=False)
    @blp.response(200, RequestOutSchema)
    @_requester_action
    def post(self, body, request_id):
        """Withdraw a request that is not yet approved."""
        return _act(actions.cancel_request, request_id, body.get("note"))


@blp.route("/<request_id>/receive")
class Receive(MethodView):
    @api_auth()
    @blp.arguments(NoteSchema(), required=False)
    @blp.response(200, RequestOutSchema)
    @_requester_action
    def post(self, body, request_id):
        """Confirm that what was handed out has arrived."""
        return _act(actions.confirm_receipt, request_id, body.get("note"))


@blp.route("/<request_id>/repeat")
class Repeat(MethodView):
    @api_auth()
    @blp.arguments(RepeatInSchema())
    @blp.response(201, StandingOrderOutSchema)
    @blp.alt_response(403, schema=ERROR, description="Only the requester may repeat it")
    @blp.alt_response(404, schema=ERROR, description="No request with this id")
    def post(self, data, request_id):
        """Ask for a request again every week, month or quarter: a standing order.

        From ``starts`` on, each due day submits a new request with the same
        items, quantities, purpose and urgency, which goes through approval
        like any other. Monthly and quarterly orders fall on the day of the
        month ``starts`` is on (the month's last day when it is shorter).
        """
        session = db_session()
        order = actions.repeat_request(session, current_user(), request_id, data)
        session.commit()
        return order
