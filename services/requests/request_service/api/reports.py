from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from procurement_common.auth import CLERK, DIRECTOR, LEADER, api_auth, current_user
from procurement_common.web import ERROR, db_session

from .. import actions
from ..schemas import ProgressQuerySchema, ProgressSchema

blp = Blueprint("reports", __name__, url_prefix="/reports", description="What the office did")


@blp.route("/progress")
class Progress(MethodView):
    @api_auth(LEADER, CLERK, DIRECTOR)
    @blp.arguments(ProgressQuerySchema(), location="query")
    @blp.response(200, ProgressSchema)
    @blp.alt_response(403, schema=ERROR, description="Not a department you may see")
    def get(self, query):
        """How long requests took at each stage, and how long the open ones have waited.

        A stage counts in the period it ended in (by default the last 30
        days): asked to decided, approved to reserved (time backordered
        included), reserved to handed out, handed out to receipt confirmed,
        and asked to handed out as a whole. Open requests are counted by
        status and by how long they have been in it. Leaders see their own
        department; clerks and the director every department, or ``department``.
        """
        return actions.describe_progress(db_session(), current_user(), query)
