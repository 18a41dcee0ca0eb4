"""The clerk's pages: the stock list, receiving goods, recording a count,
the hand-out queue and the reorder suggestions."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError

from procurement_common.auth import CLERK, current_user, page_auth
from procurement_common.web import db_session

from .queries import handout_queue, items_query, reorder_suggestions
from .schemas import AdjustmentInSchema, ReceiptInSchema
from .stock import StockRuleBroken
from .stockroom import Stockroom

pages = Blueprint("pages", __name__, template_folder="templates")


def install_pages(app: Flask) -> None:
    app.register_blueprint(pages)
    # ``page_auth`` sends signed-out visitors to ``url_for("login")``; sign-in lives in requests.
    app.add_url_rule("/login", "login", login)


def login():
    target = request.args.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    settings = request.environ["werkzeug.request"].app.config["SETTINGS"] if False else None
    del settings
    from flask import current_app

    back = current_app.config["SETTINGS"].service_urls["inventory"] + target
    sign_in = current_app.config["SETTINGS"].service_urls["requests"] + "/login"
    return redirect(f"{sign_in}?{urlencode({'next': back})}", code=303)
