"""What to buy now."""

from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from procurement_common.auth import CLERK, api_auth
from procurement_common.web import ERROR, db_session

from ..downloads import csv_file
from ..queries import reorder_suggestions
from ..schemas import SuggestionListSchema

blp = Blueprint("reorder", __name__, description="Reorder suggestions")

SUGGESTION_COLUMNS = (
    "sku",
    "name",
    "unit",
    "quantity",
    "unit_cost",
    "cost",
    "available",
    "backordered",
    "expected_use",
    "reorder_level",
    "reason",
)
# How long an order takes to arrive, unless REORDER_LEAD_DAYS says otherwise.
LEAD_DAYS = "14"


@blp.route("/reorder-suggestions")
class ReorderSuggestions(MethodView):
    @api_auth(CLERK)
    @blp.response(200, SuggestionListSchema)
    @blp.alt_response(403, schema=ERROR, description="Not the clerk")
    def get(self):
        """Items to buy now and how many, with the reason (clerk), as on the reorder page.

        Available stock (on hand less reserved), less what is backordered and
        less what is likely to go out before an order arrives
        (``expected_use``: the days of ``REORDER_LEAD_DAYS``, 14 by default,
        at the pace of the last 90 days' hand-outs), is compared with the
        reorder level; the suggestion is the reorder quantity, or more when
        that would not lift the item above its level.
        """
        return suggestions()


@blp.route("/reorder-suggestions.csv")
@api_auth(CLERK)
@blp.doc(
    responses={
        "200": {"description": "The suggestions as CSV", "content": {"text/csv": {}}},
        "403": {"description": "Not the clerk"},
    }
)
def reorder_suggestions_csv():
    """The same suggestions as CSV, for a spreadsheet or a supplier."""
    return suggestions_csv(suggestions())


def suggestions() -> dict:
    lead_days = int(current_app.config["SETTINGS"].get("REORDER_LEAD_DAYS", LEAD_DAYS))
    return reorder_suggestions(db_session(), lead_days)


def suggestions_csv(suggestions: dict) -> Response:
    return csv_file(suggestions["items"], SUGGESTION_COLUMNS, "reorder-suggestions.csv")
