"""Stock alerts: a JSON list, an Atom feed and a live stream.

The feed and the stream are for feed readers and wall screens, which carry
no token; when the ``FEED_KEY`` setting is set they need ``?key=`` instead.
"""

from __future__ import annotations

import hmac

from flask import Response, current_app, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from procurement_common.auth import api_auth
from procurement_common.pagination import page_schema, paginate
from procurement_common.web import ERROR, db, db_session

from ..feeds import alert_stream, atom_feed
from ..queries import alerts_query
from ..schemas import AlertQuerySchema, AlertSchema, FeedKeySchema

blp = Blueprint("alerts", __name__, description="Stock alerts")

FEED_SIZE = 50
NO_TOKEN = {"security": []}


def _require_feed_key(key: str | None) -> None:
    expected = current_app.config["SETTINGS"].get("FEED_KEY", "")
    if not expected:
        return
    if not key:
        abort(401, message="This feed needs its key: add ?key=... to the address.")
    if not hmac.compare_digest(key.encode(), expected.encode()):
        abort(403, message="That feed key is not right.")


@blp.route("/alerts")
class Alerts(MethodView):
    @api_auth()
    @blp.arguments(AlertQuerySchema(), location="query")
    @blp.response(200, page_schema(AlertSchema))
    def get(self, query):
        """Stock alerts, newest first; ``status`` is ``open`` or ``resolved``."""
        return paginate(
            db_session(), alerts_query(query["status"]), query["page"], query["per_page"]
        )


@blp.route("/alerts.atom")
@blp.arguments(FeedKeySchema(), location="query")
@blp.alt_response(401, schema=ERROR, description="FEED_KEY is set and no key was given")
@blp.alt_response(403, schema=ERROR, description="The key is not FEED_KEY")
@blp.doc(
    **NO_TOKEN,
    responses={"200": {"description": "An Atom feed", "content": {"application/atom+xml": {}}}},
)
def alerts_atom(query):
    """The alerts as an Atom feed: one entry when an item falls low, one when it is restored."""
    _require_feed_key(query["key"])
    alerts = db_session().scalars(alerts_query().limit(FEED_SIZE))
    settings = current_app.config["SETTINGS"]
    body = atom_feed(
        alerts,
        feed_url=url_for("alerts.alerts_atom", _external=True),
        stock_url=settings.service_urls["inventory"] + "/",
    )
    return Response(body, mimetype="application/atom+xml")


@blp.route("/alerts/stream")
@blp.arguments(FeedKeySchema(), location="query")
@blp.alt_response(401, schema=ERROR, description="FEED_KEY is set and no key was given")
@blp.alt_response(403, schema=ERROR, description="The key is not FEED_KEY")
@blp.doc(
    **NO_TOKEN,
    responses={"200": {"description": "Server-Sent Events", "content": {"text/event-stream": {}}}},
)
def alerts_stream(query):
    """The open alerts as Server-Sent Events, sent again whenever they change.

    Each stream lasts ``ALERT_STREAM_SECONDS`` (20 by default) and then ends;
    the browser's EventSource reconnects by itself.
    """
    _require_feed_key(query["key"])
    settings = current_app.config["SETTINGS"]
    events = alert_stream(
        db(),
        seconds=settings.get_float("ALERT_STREAM_SECONDS", 20.0),
        poll_seconds=settings.get_float("ALERT_STREAM_POLL_SECONDS", 2.0),
        retry_ms=int(settings.get_float("ALERT_STREAM_RETRY_SECONDS", 3.0) * 1000),
        last_event_id=request.headers.get("Last-Event-ID"),
    )
    return Response(
        events,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
