"""What the office handed out: the usage report."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from procurement_common.auth import api_auth, current_user
from procurement_common.reporting import department_in_view
from procurement_common.web import ERROR, db_session

from ..downloads import csv_file
from ..queries import usage_report
from ..schemas import UsageQuerySchema, UsageReportSchema
from ..usage import READERS, SEE_EVERY_DEPARTMENT

blp = Blueprint("usage", __name__, url_prefix="/reports", description="Usage reports")

USAGE_COLUMNS = (
    "department",
    "department_name",
    "sku",
    "name",
    "unit",
    "quantity",
    "requests",
    "unit_cost",
    "value",
)


@blp.route("/usage")
class Usage(MethodView):
    @api_auth(*READERS)
    @blp.arguments(UsageQuerySchema(), location="query")
    @blp.response(200, UsageReportSchema)
    @blp.alt_response(403, schema=ERROR, description="Not a department you may see")
    def get(self, query):
        """What was handed out, per department and item, and how long stock lasts at that pace.

        The period is whole days in UTC, both included: by default the 90
        days ending today; at most 366 days, and ``until`` no later than
        today. Only hand-outs made in it count. Leaders, the clerk, the
        director and the administrators may read it; a leader her own
        department's (another department is a 403), the others every
        department's or the one ``department`` names.

        Each hand-out is valued at what the goods cost when they went out,
        so a later price change leaves the figures as they were.
        ``by_department`` gives per department (its code, and its name as
        the latest approval gave it) and item the quantity handed out, the
        number of requests it went to, its value and the average unit cost.
        ``by_item`` gives per item the quantity handed out, its value, the
        average per 30 days over the period, what is available now and
        ``days_of_cover``: available divided by the quantity handed out per
        day, in whole days rounded down, ``null`` when nothing was handed
        out. It lists every active item, fewest days of cover first, with
        its unit cost today; for one department, the pace is that
        department's alone.
        """
        return report(query)


@blp.route("/usage.csv")
@api_auth(*READERS)
@blp.arguments(UsageQuerySchema(), location="query")
@blp.doc(
    responses={
        "200": {
            "description": "The report's rows per department and item as CSV",
            "content": {"text/csv": {}},
        }
    }
)
def usage_report_csv(query):
    """The report's rows per department and item as CSV, valued as they went out."""
    return usage_csv(report(query))


def report(query: dict) -> dict:
    """The report for a loaded ``UsageQuerySchema``, as the caller may see it."""
    department = department_in_view(current_user(), query["department"], *SEE_EVERY_DEPARTMENT)
    return usage_report(db_session(), query["period"], department)


def usage_csv(figures: dict) -> Response:
    filename = f"usage-{figures['since']}-to-{figures['until']}.csv"
    return csv_file(figures["by_department"], USAGE_COLUMNS, filename)
