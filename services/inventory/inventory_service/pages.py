"""The clerk's pages: the stock list, receiving goods, recording a count,
the hand-out queue and the reorder suggestions; and the usage report, which
leaders, the director and the administrators read too."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import (
    Blueprint,
    Flask,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import Schema, ValidationError
from sqlalchemy import select

from procurement_common.auth import CLERK, current_user, page_auth
from procurement_common.ui import sign_in_at_requests
from procurement_common.web import db_session

from . import people
from .api.reorder import suggestions, suggestions_csv
from .api.usage import report, usage_csv
from .models import Item, Reservation
from .queries import (
    department_names,
    handout_queue,
    item_changes_query,
    items_query,
    ledger_query,
    purposes,
)
from .schemas import AdjustmentInSchema, ReceiptInSchema, UsageQuerySchema
from .stock import StockRuleBroken
from .stockroom import Stockroom
from .usage import READERS, SEE_EVERY_DEPARTMENT

pages = Blueprint("pages", __name__, template_folder="templates")

LEDGER_LINES = 100
USAGE_QUERY = UsageQuerySchema()


def install_pages(app: Flask) -> None:
    app.register_blueprint(pages)
    sign_in_at_requests(app)


@pages.context_processor
def _report_readers():
    # _nav.html links the usage report for those who may read it.
    return {"report_readers": READERS}


def _form(schema: Schema) -> tuple[dict | None, dict]:
    """Load the posted form with the schema of its JSON twin: ``(data, errors)``."""
    fields = {name: value for name, value in request.form.items() if name != "csrf_token"}
    try:
        return schema.load(fields), {}
    except ValidationError as error:
        return None, error.normalized_messages()


def _skus() -> list[str]:
    return list(
        db_session().scalars(select(Item.sku).where(Item.active.is_(True)).order_by(Item.sku))
    )


@pages.get("/")
@page_auth()
def stock_list():
    q = request.args.get("q", "").strip()[:100] or None
    low = request.args.get("low") == "1"
    items = db_session().scalars(items_query(q=q, low=low)).all()
    return render_template("stock.html", items=items, q=q or "", low=low)


@pages.get("/items/<sku>")
@page_auth()
def item_ledger(sku):
    session = db_session()
    item = Stockroom(session, current_user().username).item(sku)
    entries = session.scalars(ledger_query(sku).limit(LEDGER_LINES)).all()
    changes = session.scalars(item_changes_query(sku).limit(LEDGER_LINES)).all()
    return render_template(
        "ledger.html",
        item=item,
        entries=entries,
        purposes=purposes(session, {entry.request_id for entry in entries if entry.request_id}),
        changes=changes,
        names=people.names(session, [row.by for row in (*entries, *changes)]),
    )


@pages.route("/receive", methods=["GET", "POST"])
@page_auth(CLERK)
def receive():
    data, errors = (None, {})
    if request.method == "POST":
        data, errors = _form(ReceiptInSchema())
        if data is not None:
            session = db_session()
            with Stockroom(session, current_user().username) as room:
                room.receive(data["sku"], data["quantity"], data["note"])
            session.commit()
            flash(f"Received {data['quantity']} of {data['sku']}.")
            return redirect(url_for("pages.stock_list"), code=303)
    return render_template("receive.html", skus=_skus(), form=request.form, errors=errors), (
        422 if errors else 200
    )


@pages.route("/count", methods=["GET", "POST"])
@page_auth(CLERK)
def count():
    data, errors = (None, {})
    if request.method == "POST":
        data, errors = _form(AdjustmentInSchema())
        if data is not None:
            session = db_session()
            with Stockroom(session, current_user().username) as room:
                room.adjust(data["sku"], data["counted_quantity"], data["reason"])
            session.commit()
            flash(f"Count of {data['sku']} recorded: {data['counted_quantity']} on hand.")
            return redirect(url_for("pages.stock_list"), code=303)
    return render_template("count.html", skus=_skus(), form=request.form, errors=errors), (
        422 if errors else 200
    )


@pages.get("/handouts")
@page_auth(CLERK)
def handouts():
    return render_template("handouts.html", queue=handout_queue(db_session()))


def _as_the_clerk_knows(reservation: Reservation) -> str:
    """A request by what it is for and whose it is; by its id if the approval did not say."""
    if reservation.purpose:
        return f"“{reservation.purpose}” ({reservation.requested_by})"
    return f"request {reservation.request_id}"


@pages.post("/handouts")
@page_auth(CLERK)
def hand_out():
    request_id = request.form.get("request_id", "").strip()[:64]
    session = db_session()
    try:
        with Stockroom(session, current_user().username) as room:
            handout = room.hand_out(request_id)
    except StockRuleBroken as error:
        session.rollback()
        flash(str(error), "error")
    else:
        session.commit()
        handed = ", ".join(f"{line.quantity} {line.sku}" for line in handout.lines)
        flash(
            f"Handed out {handed} for {_as_the_clerk_knows(session.get(Reservation, request_id))}."
        )
    return redirect(url_for("pages.handouts"), code=303)


@pages.get("/reorder")
@page_auth(CLERK)
def reorder():
    return render_template("reorder.html", suggestions=suggestions())


@pages.get("/reorder.csv")
@page_auth(CLERK)
def reorder_csv():
    return suggestions_csv(suggestions())


def _usage_query() -> tuple[dict | None, dict]:
    """The report's period and department from the address: ``(query, errors)``."""
    try:
        return USAGE_QUERY.load(request.args), {}
    except ValidationError as error:
        return None, error.normalized_messages()


@pages.get("/reports/usage")
@page_auth(*READERS)
def usage_report():
    query, errors = _usage_query()
    sees_all = current_user().has_any(*SEE_EVERY_DEPARTMENT)
    return render_template(
        "usage.html",
        report=report(query) if query else None,
        form=request.args,
        errors=errors,
        departments=department_names(db_session()) if sees_all else {},
    ), (422 if errors else 200)


@pages.get("/reports/usage.csv")
@page_auth(*READERS)
def usage_report_csv():
    query, errors = _usage_query()
    if errors:
        # The page says what is wrong with the dates, next to them.
        return redirect(f"{url_for('pages.usage_report')}?{urlencode(request.args)}", code=303)
    return usage_csv(report(query))
