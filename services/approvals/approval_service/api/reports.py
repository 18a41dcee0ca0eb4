from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from procurement_common.auth import ADMIN, DIRECTOR, LEADER, api_auth, current_user
from procurement_common.reporting import PeriodQuery
from procurement_common.web import db_session

from .. import workflow
from ..schemas import TurnaroundSchema

blp = Blueprint("reports", __name__, url_prefix="/reports", description="What the approvers did")


@blp.route("/turnaround")
class Turnaround(MethodView):
    @api_auth(LEADER, DIRECTOR, ADMIN)
    @blp.arguments(PeriodQuery(), location="query")
    @blp.response(200, TurnaroundSchema)
    def get(self, query):
        """How fast each level and each approver decided, and how long what waits has waited.

        Decisions and escalations count in the period they happened in (by
        default the last 30 days); waiting tasks are counted as they are now,
        by age: under a day, one to three, three to seven, over seven days.
        Turnaround runs from a task's opening to its decision, in hours. The
        director and administrators see every approver; a leader her own tasks.
        """
        period = query["period"]
        return workflow.describe_turnaround(
            workflow.turnaround_report(db_session(), current_user(), period), period
        )
