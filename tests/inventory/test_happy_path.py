"""Inventory's share of the happy path: approved → reserved → handed out → received."""

from __future__ import annotations

from procurement_common.consumer import Outcome


def test_an_approved_request_is_reserved_handed_out_and_closed(
    client, clerk, add_item, deliver, published, approved, received
):
    add_item("PAPER-A4", on_hand=200, reorder_level=40)
    add_item("PEN-GEL-BLK", on_hand=60, reorder_level=15)

    assert deliver(approved("r-1", {"PAPER-A4": 5, "PEN-GEL-BLK": 2})) == Outcome.APPLIED

    assert published("stock.reserved") == [
        {
            "request_id": "r-1",
            "lines": [
                {"sku": "PAPER-A4", "reserved_quantity": 5, "backordered_quantity": 0},
                {"sku": "PEN-GEL-BLK", "reserved_quantity": 2, "backordered_quantity": 0},
            ],
            "backordered": [],
        }
    ]
    paper = client.get("/api/v1/items/PAPER-A4", headers=clerk).json
    assert (paper["on_hand"], paper["reserved"], paper["available"]) == (200, 5, 195)

    response = client.post("/api/v1/handouts", json={"request_id": "r-1"}, headers=clerk)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "issued"
    assert [(line["sku"], line["issued_quantity"]) for line in response.json["lines"]] == [
        ("PAPER-A4", 5),
        ("PEN-GEL-BLK", 2),
    ]
    assert published("stock.issued") == [
        {
            "request_id": "r-1",
            "by": "chen.jie",
            "lines": [
                {"sku": "PAPER-A4", "issued_quantity": 5},
                {"sku": "PEN-GEL-BLK", "issued_quantity": 2},
            ],
            "complete": True,
        }
    ]
    paper = client.get("/api/v1/items/PAPER-A4", headers=clerk).json
    assert (paper["on_hand"], paper["reserved"], paper["available"]) == (195, 0, 195)

    assert deliver(received("r-1")) == Outcome.APPLIED
    reservation = client.get("/api/v1/reservations?request_id=r-1", headers=clerk).json
    assert reservation["items"][0]["status"] == "received"
