"""What to buy now."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from procurement_common.auth import api_auth
from procurement_common.web import db_session

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
    "reorder_level",
    "reason",
)


@blp.route("/reorder-suggestions")
class ReorderSuggestions(MethodView):
    @api_auth()
    @blp.response(200, SuggestionListSchema)
    def get(self):
        """Items to buy now and how many, with the reason.

        Available stock (on hand less reserved) less what is backordered is
        compared with the reorder level; the suggestion is the reorder
        quantity, or more when that would not lift the item above its level.
        """
        return reorder_suggestions(db_session())


@blp.route("/reorder-suggestions.csv")
@api_auth()
@blp.doc(responses={"200": {"description": "The suggestions as CSV", "content": {"text/csv": {}}}})
def reorder_suggestions_csv():
    """The same suggestions as CSV, for a spreadsheet or a supplier."""
    return suggestions_csv(reorder_suggestions(db_session()))


def suggestions_csv(suggestions: dict) -> Response:
    return csv_file(suggestions["items"], SUGGESTION_COLUMNS, "reorder-suggestions.csv")
