"""Stock alerts for people who are not looking at the stock list: an Atom
feed for feed readers, and a Server-Sent Events stream for a wall screen."""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterable, Iterator

from feedgen.feed import FeedGenerator
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from procurement_common.db import utcnow
from procurement_common.web import Database

from .models import Alert
from .stock import order_quantity

FEED_TITLE = "Stock alerts · Office supplies"
# What XML 1.0 cannot hold (most control characters, among others). An item
# may be named with one, and the feed must still be served.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def low_text(alert: Alert) -> str:
    item = alert.item
    order = order_quantity(alert.available_at_open, alert.reorder_level, alert.reorder_quantity)
    return (
        f"{item.name} ({item.sku}) is low: {alert.available_at_open} {item.unit} left to promise, "
        f"at or below the reorder level of {alert.reorder_level}. "
        f"Order {order} {item.unit}. Now available: {item.available}."
    )


def restored_text(alert: Alert) -> str:
    item = alert.item
    return (
        f"{item.name} ({item.sku}) is back above its reorder level of {alert.reorder_level}: "
        f"{alert.available_at_resolve} {item.unit} available. Nothing to order."
    )


def atom_feed(alerts: Iterable[Alert], feed_url: str, stock_url: str) -> bytes:
    """One entry when an item falls low, and one more when it is restored."""
    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(FEED_TITLE)
    feed.subtitle("Items whose available stock fell to or below their reorder level")
    feed.author({"name": "Inventory service"})
    feed.link(href=feed_url, rel="self")
    feed.link(href=stock_url, rel="alternate")
    feed.language("en")
    entries = []
    for alert in alerts:
        entries.append(
            (alert.opened_at, f"urn:uuid:{alert.id}", "Low stock", low_text(alert), alert)
        )
        if alert.resolved_at is not None:
            restored_id = uuid.uuid5(uuid.UUID(alert.id), "restored")
            entries.append(
                (
                    alert.resolved_at,
                    f"urn:uuid:{restored_id}",
                    "Restored",
                    restored_text(alert),
                    alert,
                )
            )
    entries.sort(key=lambda entry: entry[0], reverse=True)
    feed.updated(entries[0][0] if entries else utcnow())
    for at, entry_id, heading, text, alert in entries:
        entry = feed.add_entry(order="append")
        entry.id(entry_id)
        entry.title(NOT_XML.sub("", f"{heading}: {alert.item.name} ({alert.sku})"))
        entry.updated(at)
        entry.published(at)
        entry.content(NOT_XML.sub("", text), type="text")
        entry.link(href=stock_url)
    return feed.atom_str(pretty=True)


def open_alerts(database: Database) -> list[dict]:
    with database.sessions() as session:
        alerts = session.scalars(
            select(Alert)
            .where(Alert.status == "open")
            .options(selectinload(Alert.item))
            .order_by(Alert.opened_at)
        ).all()
        return [
            {
                "id": alert.id,
                "sku": alert.sku,
                "name": alert.item.name,
                "unit": alert.item.unit,
                "available": alert.item.available,
                "reorder_level": alert.item.reorder_level,
                "order": order_quantity(
                    alert.item.available, alert.item.reorder_level, alert.item.reorder_quantity
                ),
                "opened_at": alert.opened_at.isoformat(),
                "text": low_text(alert),
            }
            for alert in alerts
        ]


def alert_stream(
    database: Database,
    *,
    seconds: float,
    poll_seconds: float,
    retry_ms: int,
    last_event_id: str | None = None,
) -> Iterator[str]:
    """Send the open alerts whenever they change, for ``seconds`` at most.

    The stream then ends and the browser reconnects after ``retry_ms``, so a
    wall screen never holds a web worker for good. The event id is a digest
    of what was sent: a reconnecting browser sends it back, and an unchanged
    picture is not sent again.
    """
    yield f"retry: {retry_ms}\n\n"
    deadline = time.monotonic() + seconds
    last = last_event_id
    while True:
        alerts = open_alerts(database)
        body = json.dumps({"open": alerts}, ensure_ascii=False, separators=(",", ":"))
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        if digest != last:
            yield f"id: {digest}\nevent: alerts\ndata: {body}\n\n"
            last = digest
        else:
            yield ": still watching\n\n"
        if time.monotonic() + poll_seconds > deadline:
            return
        time.sleep(poll_seconds)
