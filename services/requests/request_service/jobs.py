"""Timed jobs of the requests worker: filling the catalog copy, submitting standing orders."""

from __future__ import annotations

import json
import logging
import urllib.request
from datetime import UTC, date, datetime
from functools import partial

from sqlalchemy import func, select

from procurement_common.auth import Principal, issue_token
from procurement_common.db import utcnow
from procurement_common.events import ItemChanged
from procurement_common.settings import Settings
from procurement_common.web import Database
from procurement_common.worker import TimedJob

from . import actions
from .handlers import catalog_values
from .models import CatalogItem

log = logging.getLogger(__name__)

# Older than any event, so the first item.changed for an item replaces this copy.
FILLED_AT = datetime(2000, 1, 1, tzinfo=UTC)
SERVICE_PRINCIPAL = Principal(
    id="requests-service",
    username="requests-service",
    name="Requests service",
    department="GO",
    roles=frozenset({"service"}),
)


def fill_catalog_if_empty(settings: Settings, database: Database) -> int:
    """Copy the catalog from inventory when ours is empty (a fresh database)."""
    with database.sessions() as session:
        if session.scalar(select(func.count()).select_from(CatalogItem)):
            return 0
    try:
        items = list(_fetch_items(settings))
    except (OSError, ValueError) as exc:
        # Inventory may still be starting; the next run tries again.
        log.warning("catalog fill: inventory not reachable (%s); will try again", exc)
        return 0
    with database.sessions.begin() as session:
        for data in items:
            if session.get(CatalogItem, data["sku"]) is None:
                session.add(CatalogItem(sku=data["sku"], **catalog_values(data, FILLED_AT)))
    log.info("catalog filled from inventory: %d items", len(items))
    return len(items)


def _fetch_items(settings: Settings):
    token = issue_token(settings.auth_secret, SERVICE_PRINCIPAL, 300)
    schema = ItemChanged()
    page = 1
    while True:
        url = f"{settings.service_urls['inventory']}/api/v1/items?per_page=100&page={page}"
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.load(response)
        for raw in body["items"]:
            yield schema.load({**raw, "active": raw.get("active", True)})
        if page * body["per_page"] >= body["total"]:
            return
        page += 1


def submit_standing_orders(database: Database, today: date | None = None) -> int:
    """Submit every standing order due by today, each in its own transaction.

    Returns how many requests were made.
    """
    today = today or utcnow().date()
    with database.sessions() as session:
        due = actions.due_standing_orders(session, today)
    made = 0
    for order_id in due:
        with database.sessions() as session:
            made += actions.submit_standing_order(session, order_id, today) is not None
    if due:
        log.info("standing orders: %d due, %d requests made", len(due), made)
    return made


def timed_jobs(settings: Settings, database: Database) -> list[TimedJob]:
    return [
        TimedJob(
            "catalog-fill",
            settings.get_float("CATALOG_FILL_INTERVAL_SECONDS", 5.0),
            partial(fill_catalog_if_empty, settings, database),
        ),
        TimedJob(
            "standing-orders",
            settings.get_float("STANDING_ORDERS_INTERVAL_SECONDS", 60.0),
            partial(submit_standing_orders, database),
        ),
    ]
