"""The look shared by the three services' pages: base layout, error page, stylesheet.

Registered as the ``ui`` blueprint; service templates ``{% extends "base.html" %}``.
Dates are shown in the office's time zone (``OFFICE_TIMEZONE``) and in the
reader's language as the browser announces it, inside ``<time datetime>``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, flash, g, redirect, request
from flask_wtf.csrf import generate_csrf
from marshmallow import ValidationError

from ..auth import optional_page_user
from ..reporting import AGE_COLUMNS

T = TypeVar("T")

ui = Blueprint(
    "ui",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/ui-static",
)


# A global, not a context value: the report macros imported from
# ui_macros.html see globals only.
ui.record_once(lambda state: state.app.jinja_env.globals.update(age_columns=AGE_COLUMNS))


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


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _chinese_reader() -> bool:
    return (request.accept_languages.best or "").lower().startswith("zh")


def _date_text(day: date) -> str:
    if _chinese_reader():
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@ui.app_template_filter("local_date")
def local_date(day: date | None) -> str:
    return _date_text(day) if day else ""


@ui.app_template_filter("local_datetime")
def local_datetime(moment: datetime | None) -> str:
    if moment is None:
        return ""
    settings = current_app.config["SETTINGS"]
    local = moment.astimezone(ZoneInfo(settings.get("OFFICE_TIMEZONE", "Asia/Shanghai")))
    return f"{_date_text(local.date())} {local:%H:%M}"


def save_or_say_why(
    save: Callable[[], T], *refusals: type[Exception], said="Not saved"
) -> T | None:
    """Run ``save`` (it commits); when the input or a rule refuses it, flash
    why and give ``None``.

    A form answers a refusal on the page it returns to, not with an error
    page: the person reads what to change beside what she typed.
    """
    try:
        return save()
    except ValidationError as error:
        flash(f"{said}: {first_message(error)}", "error")
    except refusals as error:
        flash(f"{said}: {error}", "error")
    return None


def messages_by_field(error: ValidationError) -> dict[str, list[str]]:
    """Each top-level field's messages, nested ones (a list's items) included,
    to show beside the field."""

    def texts(detail) -> list[str]:
        if isinstance(detail, dict):
            return [text for inner in detail.values() for text in texts(inner)]
        return list(detail) if isinstance(detail, list) else [str(detail)]

    return {field: texts(detail) for field, detail in error.normalized_messages().items()}


def first_message(error: ValidationError) -> str:
    """The first error of a (nested) schema error, with its field, for a flash message."""
    field, detail = next(iter(error.normalized_messages().items()))
    while isinstance(detail, dict):
        field, detail = next(iter(detail.items()))
    text = detail[0] if isinstance(detail, list) else detail
    return f"{field}: {text}"


def sign_in_at_requests(app: Flask) -> None:
    """Give a service without sign-in of its own the ``/login`` that ``page_auth`` sends to.

    People sign in at the requests service, which sets the token cookie that
    every service reads, and come back to the page they asked for.
    """
    app.add_url_rule("/login", "login", _login_at_requests)


def _login_at_requests():
    target = request.args.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"  # only a path on this service: never an open redirect
    settings = current_app.config["SETTINGS"]
    back = settings.service_urls[settings.service] + target
    return redirect(
        f"{settings.service_urls['requests']}/login?{urlencode({'next': back})}", code=303
    )
