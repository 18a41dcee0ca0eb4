"""Items, receipts, counts and the ledger through the JSON API."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from inventory_service import service
from inventory_service.checks import check_stock
from inventory_service.models import Item, ItemChange

from support import account_changed, poll

PAPER = {
    "sku": "PAPER-A4",
    "name": "A4 copy paper",
    "unit": "ream",
    "category": "Paper",
    "unit_cost": "25.00",
    "reorder_level": 40,
    "reorder_quantity": 100,
}


def test_a_clerk_adds_an_item_and_anyone_signed_in_sees_it(client, clerk, staff, published):
    response = client.post("/api/v1/items", json=PAPER, headers=clerk)
    assert response.status_code == 201
    assert response.json == {
        **PAPER,
        "on_hand": 0,
        "reserved": 0,
        "available": 0,
        "active": True,
        "low": True,
        "updated_at": response.json["updated_at"],
    }
    assert client.get("/api/v1/items/PAPER-A4", headers=staff).json["name"] == "A4 copy paper"
    assert published("item.changed")[-1]["sku"] == "PAPER-A4"


def test_items_are_listed_a_page_at_a_time_and_filtered(client, staff, add_item):
    add_item("PAPER-A4", on_hand=200, reorder_level=40, name="A4 copy paper", category="Paper")
    add_item("PAPER-A3", on_hand=5, reorder_level=10, name="A3 copy paper", category="Paper")
    add_item("PEN-GEL-BLK", on_hand=60, reorder_level=15, name="Black gel pens")

    page = client.get("/api/v1/items?per_page=2", headers=staff).json
    assert (page["total"], page["page"], page["per_page"]) == (3, 1, 2)
    assert [item["sku"] for item in page["items"]] == ["PAPER-A3", "PAPER-A4"]

    def skus(query):
        return [
            item["sku"]
            for item in client.get(f"/api/v1/items?{query}", headers=staff).json["items"]
        ]

    assert skus("q=gel") == ["PEN-GEL-BLK"]
    assert skus("category=Paper") == ["PAPER-A3", "PAPER-A4"]
    assert skus("low=true") == ["PAPER-A3"]


def test_a_clerk_changes_an_item_and_the_change_is_announced(client, clerk, add_item, published):
    add_item("PAPER-A4", on_hand=200, reorder_level=40, category="Paper", active=False)
    response = client.patch(
        "/api/v1/items/PAPER-A4", json={"unit_cost": "26.50", "reorder_level": 50}, headers=clerk
    )
    assert response.status_code == 200
    assert (response.json["unit_cost"], response.json["reorder_level"]) == ("26.50", 50)
    assert published("item.changed")[-1] == {
        "sku": "PAPER-A4",
        "name": "Item PAPER-A4",
        "unit": "piece",
        "category": "Paper",
        "unit_cost": "26.50",
        "available": 200,
        "reorder_level": 50,
        "reorder_quantity": 10,
        "active": False,
    }


def test_every_change_to_an_items_details_is_kept_with_who_and_when(
    client, clerk, staff, add_item, database
):
    add_item("PAPER-A4", reorder_level=40, unit_cost="25.00")
    change = {"unit_cost": "26.50", "reorder_level": 50, "active": False}
    assert client.patch("/api/v1/items/PAPER-A4", json=change, headers=clerk).status_code == 200
    # The same again changes nothing, and keeps nothing.
    assert client.patch("/api/v1/items/PAPER-A4", json=change, headers=clerk).status_code == 200

    kept = client.get("/api/v1/items/PAPER-A4/changes", headers=staff).json

    assert [(entry["by"], entry["change"]) for entry in kept["items"]] == [
        ("chen.jie", "unit_cost: 25.00 → 26.50; reorder_level: 40 → 50; active: yes → no"),
        (
            "chen.jie",
            "added: name Item PAPER-A4, unit piece, category none, unit_cost 25.00, "
            "reorder_level 40, reorder_quantity 10, active yes",
        ),
    ]
    assert client.get("/api/v1/items/NOPE/changes", headers=staff).status_code == 404
    with database.sessions() as session:
        entry = session.scalars(select(ItemChange)).first()
        entry.change = "nothing happened"
        with pytest.raises(TypeError, match="append-only"):
            session.flush()


def test_receipts_and_counts_go_through_the_ledger(client, clerk, add_item):
    add_item("PAPER-A4")
    response = client.post(
        "/api/v1/receipts", json={"sku": "PAPER-A4", "quantity": 30, "note": "PO 17"}, headers=clerk
    )
    assert response.status_code == 201
    assert response.json["item"]["on_hand"] == 30
    assert response.json["entry"]["kind"] == "receipt"

    response = client.post(
        "/api/v1/adjustments",
        json={"sku": "PAPER-A4", "counted_quantity": 27, "reason": "3 reams water-damaged"},
        headers=clerk,
    )
    assert response.status_code == 201
    assert response.json["item"]["on_hand"] == 27

    ledger = client.get("/api/v1/items/PAPER-A4/ledger", headers=clerk).json
    assert ledger["total"] == 2
    assert [
        (e["kind"], e["on_hand_change"], e["on_hand_after"], e["note"], e["by"])
        for e in ledger["items"]
    ] == [
        ("adjustment", -3, 27, "3 reams water-damaged", "chen.jie"),
        ("receipt", 30, 30, "PO 17", "chen.jie"),
    ]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/receipts", {"sku": "PAPER-A4", "quantity": 0}, "quantity"),
        ("/api/v1/receipts", {"sku": "PAPER-A4", "quantity": -5}, "quantity"),
        ("/api/v1/receipts", {"sku": "PAPER-A4", "quantity": "many"}, "quantity"),
        ("/api/v1/receipts", {"sku": "NO-SUCH", "quantity": 5}, "sku"),
        ("/api/v1/adjustments", {"sku": "PAPER-A4", "counted_quantity": 3}, "reason"),
        (
            "/api/v1/adjustments",
            {"sku": "PAPER-A4", "counted_quantity": 3, "reason": "  "},
            "reason",
        ),
        (
            "/api/v1/adjustments",
            {"sku": "PAPER-A4", "counted_quantity": -1, "reason": "x"},
            "counted_quantity",
        ),
        ("/api/v1/adjustments", {"sku": "NO-SUCH", "counted_quantity": 1, "reason": "x"}, "sku"),
        ("/api/v1/items", {**PAPER, "sku": "PAPER A4 !"}, "sku"),
        ("/api/v1/items", {**PAPER, "unit_cost": "-1"}, "unit_cost"),
        ("/api/v1/items", {**PAPER, "reorder_level": -1}, "reorder_level"),
        (
            "/api/v1/handouts",
            {"request_id": "r-1", "lines": [{"sku": "PAPER-A4", "quantity": 0}]},
            "lines",
        ),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_changes(
    client, clerk, add_item, path, body, field
):
    add_item("PAPER-A4", on_hand=10)
    response = client.post(path, json=body, headers=clerk)
    assert response.status_code == 422
    assert field in response.json["message"]
    assert field in response.json["errors"]["json"]
    item = client.get("/api/v1/items/PAPER-A4", headers=clerk).json
    assert (item["on_hand"], item["reserved"]) == (10, 0)
    assert client.get("/api/v1/items/PAPER-A4/ledger", headers=clerk).json["total"] == 1


def test_malformed_json_is_a_400(client, clerk):
    response = client.post(
        "/api/v1/receipts", data="{nope", content_type="application/json", headers=clerk
    )
    assert response.status_code == 400
    assert response.json["message"]


def test_an_item_added_twice_is_a_conflict(client, clerk, add_item):
    add_item("PAPER-A4")
    response = client.post("/api/v1/items", json={**PAPER}, headers=clerk)
    assert response.status_code == 409
    assert "already exists" in response.json["message"]


def test_an_unknown_item_is_a_404(client, clerk):
    for path in ("/api/v1/items/NO-SUCH", "/api/v1/items/NO-SUCH/ledger"):
        response = client.get(path, headers=clerk)
        assert response.status_code == 404
        assert "NO-SUCH" in response.json["message"]
    response = client.patch("/api/v1/items/NO-SUCH", json={"name": "x"}, headers=clerk)
    assert response.status_code == 404


def test_only_clerks_change_stock_and_everyone_must_sign_in(client, staff, add_item):
    add_item("PAPER-A4")
    assert client.get("/api/v1/items").status_code == 401
    for path, body in [
        ("/api/v1/items", {**PAPER, "sku": "NEW"}),
        ("/api/v1/receipts", {"sku": "PAPER-A4", "quantity": 1}),
        ("/api/v1/adjustments", {"sku": "PAPER-A4", "counted_quantity": 1, "reason": "x"}),
        ("/api/v1/handouts", {"request_id": "r-1"}),
    ]:
        assert client.post(path, json=body).status_code == 401
        response = client.post(path, json=body, headers=staff)
        assert response.status_code == 403
        assert "clerk" in response.json["message"]


def test_the_ledger_adds_up_to_the_stock_and_check_stock_proves_it(
    app, client, clerk, add_item, deliver, approved, monkeypatch
):
    add_item("PAPER-A4", on_hand=20, reorder_level=5)
    deliver(approved("r-1", {"PAPER-A4": 8}))
    client.post(
        "/api/v1/handouts",
        json={"request_id": "r-1", "lines": [{"sku": "PAPER-A4", "quantity": 3}]},
        headers=clerk,
    )
    client.post(
        "/api/v1/adjustments",
        json={"sku": "PAPER-A4", "counted_quantity": 16, "reason": "recount"},
        headers=clerk,
    )

    ledger = client.get("/api/v1/items/PAPER-A4/ledger", headers=clerk).json["items"]
    item = client.get("/api/v1/items/PAPER-A4", headers=clerk).json
    assert item["on_hand"] == sum(entry["on_hand_change"] for entry in ledger) == 16
    assert item["reserved"] == sum(entry["reserved_change"] for entry in ledger) == 5

    settings = app.config["SETTINGS"]
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("AUTH_SECRET", settings.auth_secret)
    result = CliRunner().invoke(check_stock)
    assert result.exit_code == 0, result.output
    assert "1 items agree with the ledger" in result.output

    # A figure changed behind the ledger's back is found.
    with app.extensions["database"].engine.begin() as connection:
        connection.exec_driver_sql("UPDATE items SET on_hand = 99 WHERE sku = 'PAPER-A4'")
    result = CliRunner().invoke(check_stock)
    assert result.exit_code == 1
    assert (
        "PAPER-A4: on hand 99, reserved 5; the ledger says on hand 16, reserved 5" in result.output
    )


def test_demo_data_loads_once_and_announces_every_item(database_url, published_for):
    settings = service.settings({"DATABASE_URL": database_url, "AUTH_SECRET": "x" * 32})
    assert service.seed_if_empty(settings) is True
    assert service.seed_if_empty(settings) is False
    database = service.database(settings)
    with database.sessions() as session:
        items = {item.sku: item for item in session.scalars(select(Item))}
    assert len(items) >= 10
    paper, pens, toner = items["PAPER-A4"], items["PEN-GEL-BLK"], items["TONER-HP-26A"]
    assert (paper.unit, str(paper.unit_cost), paper.on_hand, paper.reorder_level) == (
        "ream",
        "25.00",
        200,
        40,
    )
    assert (pens.unit, str(pens.unit_cost), pens.on_hand, pens.reorder_level) == (
        "box",
        "18.00",
        60,
        15,
    )
    assert (toner.unit, str(toner.unit_cost), toner.on_hand, toner.reorder_level) == (
        "piece",
        "420.00",
        6,
        3,
    )
    announced = {data["sku"]: data for data in published_for(database, "item.changed")}
    assert set(announced) == set(items)
    assert announced["PAPER-A4"]["available"] == 200
    database.engine.dispose()


def test_the_api_is_described_in_openapi(client):
    paths = client.get("/openapi.json").json["paths"]
    for path in (
        "/api/v1/items",
        "/api/v1/items/{sku}",
        "/api/v1/items/{sku}/ledger",
        "/api/v1/receipts",
        "/api/v1/adjustments",
        "/api/v1/reservations",
        "/api/v1/handouts",
        "/api/v1/alerts",
        "/api/v1/alerts.atom",
        "/api/v1/alerts/stream",
        "/api/v1/reorder-suggestions",
        "/api/v1/reorder-suggestions.csv",
    ):
        assert path in paths


def test_a_clerk_who_left_can_no_longer_change_stock_once_her_change_arrives(
    client, clerk, add_item, deliver
):
    add_item("PAPER-A4")
    change = account_changed("chen.jie", department="GO", active=False, roles=["clerk", "staff"])
    assert deliver(change) == "applied"

    poll(
        lambda: client.get("/api/v1/items/PAPER-A4", headers=clerk).status_code == 401,
        timeout=5,
        message="her old token to be refused",
    )
    receipt = {"sku": "PAPER-A4", "quantity": 30, "note": "PO 18"}
    refused = client.post("/api/v1/receipts", json=receipt, headers=clerk)
    assert refused.status_code == 401
    assert "account changed" in refused.json["message"]
