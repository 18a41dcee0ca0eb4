"""Stock alerts: once per crossing, aware of what is reserved; as JSON, Atom and SSE."""

from __future__ import annotations

import feedparser
import pytest
from sqlalchemy import update

from inventory_service import service
from inventory_service.models import Item


@pytest.fixture
def toner(add_item):
    """10 on hand, reorder level 5, reorder quantity 6."""
    return add_item("TONER", on_hand=10, reorder_level=5, reorder_quantity=6, name="HP toner")


def test_one_alert_per_crossing_counting_what_is_reserved(
    client, clerk, toner, deliver, approved, published
):
    deliver(approved("r-1", {"TONER": 3}))  # available 7: above the level
    assert published("stock.low") == []

    deliver(approved("r-2", {"TONER": 2}))  # available 5, with 10 still on the shelf
    deliver(approved("r-3", {"TONER": 1}))  # 4: still the same alert
    low = published("stock.low")
    assert len(low) == 1
    assert {
        key: low[0][key] for key in ("sku", "available", "reorder_level", "reorder_quantity")
    } == {
        "sku": "TONER",
        "available": 5,
        "reorder_level": 5,
        "reorder_quantity": 6,
    }

    client.post("/api/v1/receipts", json={"sku": "TONER", "quantity": 10}, headers=clerk)
    client.post("/api/v1/receipts", json={"sku": "TONER", "quantity": 1}, headers=clerk)
    restored = published("stock.restored")
    assert len(restored) == 1
    assert restored[0]["alert_id"] == low[0]["alert_id"]
    assert restored[0]["available"] == 14

    deliver(approved("r-4", {"TONER": 10}))  # down again: a new crossing, a new alert
    assert len(published("stock.low")) == 2

    alerts = client.get("/api/v1/alerts", headers=clerk).json
    assert alerts["total"] == 2
    assert [a["status"] for a in alerts["items"]] == ["open", "resolved"]
    assert client.get("/api/v1/alerts?status=resolved", headers=clerk).json["total"] == 1
    assert client.get("/api/v1/alerts?status=maybe", headers=clerk).status_code == 422


def test_a_batch_that_crosses_the_level_raises_one_alert_as_the_item_stands_after_it(
    app, database, toner, approved, published
):
    consumer = service.consumer(app.config["SETTINGS"], database)
    batch = [approved(f"r-{n}", {"TONER": 2}) for n in range(4)]  # available 8, 6, 4, 2

    consumer.apply_all([event.to_json().encode() for event in batch])

    assert [(alert["sku"], alert["available"]) for alert in published("stock.low")] == [
        ("TONER", 2)
    ]


def test_a_reorder_level_raised_above_the_stock_opens_an_alert_and_lowered_resolves_it(
    client, clerk, toner, deliver, approved, published
):
    deliver(approved("r-1", {"TONER": 2}))  # available 8, above the level: no alert

    client.patch("/api/v1/items/TONER", json={"reorder_level": 8}, headers=clerk)
    assert [alert["available"] for alert in published("stock.low")] == [8]

    deliver(approved("r-2", {"TONER": 1}))  # 7: the same alert stays open
    client.patch("/api/v1/items/TONER", json={"reorder_level": 6}, headers=clerk)
    assert [alert["available"] for alert in published("stock.restored")] == [7]
    assert len(published("stock.low")) == 1


def test_every_change_of_available_is_announced_for_the_catalog(
    client, clerk, toner, deliver, approved, published, announce
):
    before = len(published("item.changed"))
    deliver(approved("r-1", {"TONER": 3}))
    announce()
    client.post("/api/v1/receipts", json={"sku": "TONER", "quantity": 5}, headers=clerk)
    announce()
    changed = published("item.changed")[before:]
    assert [data["available"] for data in changed] == [7, 12]


def test_the_atom_feed_reads_in_a_feed_reader_and_says_what_is_left_and_what_to_order(
    client, clerk, toner, deliver, approved
):
    deliver(approved("r-1", {"TONER": 6}))  # 4 available: low
    client.post("/api/v1/receipts", json={"sku": "TONER", "quantity": 20}, headers=clerk)

    response = client.get("/api/v1/alerts.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title.startswith("Stock alerts")
    restored, low = feed.entries
    assert low.title == "Low stock: HP toner (TONER)"
    assert "4 piece left" in low.content[0].value
    assert "Order 6 piece" in low.content[0].value
    assert restored.title == "Restored: HP toner (TONER)"
    assert low.id != restored.id


def test_the_api_refuses_an_item_name_with_a_control_character(client, clerk):
    response = client.post(
        "/api/v1/items",
        json={
            "sku": "INK",
            "name": "Ink\x0b, blue",
            "unit": "bottle",
            "unit_cost": "3.00",
            "reorder_level": 5,
            "reorder_quantity": 10,
        },
        headers=clerk,
    )

    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "name": ["Must not contain a control character (found U+000B)."]
    }


def test_an_item_named_with_a_control_character_still_has_its_alerts_in_the_feed(
    client, add_item, database, deliver, approved
):
    add_item("INK", on_hand=10, reorder_level=5, name="Ink, blue")
    # Stored before names were checked, or by hand.
    with database.engine.begin() as connection:
        connection.execute(update(Item).where(Item.sku == "INK").values(name="Ink\x0b, blue\x07"))
    deliver(approved("r-1", {"INK": 6}))

    response = client.get("/api/v1/alerts.atom")

    assert response.status_code == 200
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.bozo_exception
    assert feed.entries[0].title == "Low stock: Ink, blue (INK)"


def test_a_feed_key_when_set_is_needed_instead_of_a_token(app_for, database_url):
    client = app_for(database_url, FEED_KEY="wall-screen-key").test_client()
    assert client.get("/api/v1/alerts.atom").status_code == 401
    response = client.get("/api/v1/alerts.atom?key=guess")
    assert response.status_code == 403
    assert response.json["message"]
    assert client.get("/api/v1/alerts.atom?key=wall-screen-key").status_code == 200
    assert client.get("/api/v1/alerts/stream").status_code == 401


def test_the_live_stream_sends_the_open_alerts_and_ends_so_the_browser_reconnects(
    app_for, database_url, auth_header
):
    app = app_for(database_url, ALERT_STREAM_SECONDS="0.3", ALERT_STREAM_POLL_SECONDS="0.05")
    client = app.test_client()
    clerk = auth_header("chen.jie")
    client.post(
        "/api/v1/items",
        json={
            "sku": "TONER",
            "name": "HP toner",
            "unit": "piece",
            "unit_cost": "420.00",
            "reorder_level": 3,
            "reorder_quantity": 6,
        },
        headers=clerk,
    )

    response = client.get("/api/v1/alerts/stream")
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    body = response.get_data(as_text=True)
    assert body.startswith("retry: 3000\n\n")
    assert body.count("event: alerts") == 1  # sent once, then only when it changes
    assert '"sku":"TONER"' in body
    event_id = body.split("id: ")[1].split("\n")[0]

    again = client.get("/api/v1/alerts/stream", headers={"Last-Event-ID": event_id})
    assert "event: alerts" not in again.get_data(as_text=True)
