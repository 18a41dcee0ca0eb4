"""Server-rendered pages for staff (sign-in, my requests, new request, one request)."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("pages", __name__, template_folder="templates")
