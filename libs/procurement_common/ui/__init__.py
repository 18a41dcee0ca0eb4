"""The look shared by the three services' pages: base layout, error page, stylesheet.

Registered as the ``ui`` blueprint; service templates ``{% extends "base.html" %}``.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g
from flask_wtf.csrf import generate_csrf

from ..auth import optional_page_user

ui = Blueprint(
    "ui",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/ui-static",
)


@ui.app_context_processor
def _page_context():
    settings = current_app.config["SETTINGS"]
    user = g.get("principal") or optional_page_user()
    return {
        "current_user": user,
        "service_name": settings.service,
        "service_urls": settings.service_urls,
        "csrf_token": generate_csrf,
    }
