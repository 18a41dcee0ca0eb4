"""What is held for each approved request, and handing it out."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from procurement_common.auth import CLERK, api_auth, current_user
from procurement_common.pagination import page_schema, paginate
from procurement_common.web import ERROR, db_session

from ..models import Reservation
from ..schemas import HandoutInSchema, ReservationQuerySchema, ReservationSchema
from ..stockroom import NotFound, Stockroom

blp = Blueprint(
    "reservations", __name__, url_prefix="/reservations", description="Stock held for requests"
)
handouts = Blueprint("handouts", __name__, url_prefix="/handouts", description="Hand-outs")


@blp.route("")
class Reservations(MethodView):
    @api_auth()
    @blp.arguments(ReservationQuerySchema(), location="query")
    @blp.response(200, page_schema(ReservationSchema))
    def get(self, query):
        """Reservations, newest first; ``request_id`` gives what is held for one request."""
        listing = select(Reservation).order_by(Reservation.created_at.desc())
        if query["request_id"]:
            listing = listing.where(Reservation.request_id == query["request_id"])
        if query["status"]:
            listing = listing.where(Reservation.status == query["status"])
        return paginate(db_session(), listing, query["page"], query["per_page"])


@blp.route("/<request_id>")
class ReservationByRequest(MethodView):
    @api_auth()
    @blp.response(200, ReservationSchema)
    @blp.alt_response(404, schema=ERROR, description="Nothing reserved for this request")
    def get(self, request_id):
        """What is reserved, backordered and handed out for one request."""
        reservation = db_session().get(Reservation, request_id)
        if reservation is None:
            raise NotFound(f"Nothing has been reserved for request {request_id}.")
        return reservation


@handouts.route("", methods=["POST"])
@api_auth(CLERK)
@handouts.arguments(HandoutInSchema)
@handouts.response(200, ReservationSchema)
@handouts.alt_response(409, schema=ERROR, description="Not that much is reserved for it")
def hand_out(data):
    """Hand out what is reserved for a request (clerk).

    Without ``lines`` everything reserved goes; with them, only those
    quantities (a partial hand-out). Answers with the request's reservation
    as it is after the hand-out.
    """
    session = db_session()
    asked = {line["sku"]: line["quantity"] for line in data["lines"]} if data["lines"] else None
    with Stockroom(session, current_user().username) as room:
        handout = room.hand_out(data["request_id"], asked)
    session.commit()
    return session.get(Reservation, handout.request_id)
