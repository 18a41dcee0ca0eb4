"""What other services' events do to a request and to the catalog copy.

Events are applied through the consumer's ``apply`` exactly as the worker
applies a delivery, without a broker.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask, request

from procurement_common import events as ev
from procurement_common.db import new_id
from request_service import jobs, service
from request_service.models import CatalogItem
from tests.requests.conftest import OtherServices, request_body, serving


def timeline(api, created) -> list[tuple[str, str, str]]:
    history = api("get", f"/requests/{created['id']}").json["history"]
    return [(entry["status"], entry["by"], entry["note"]) for entry in history]


def status_of(api, created) -> str:
    return api("get", f"/requests/{created['id']}").json["status"]


def test_a_request_goes_from_approved_through_backordered_and_reserved_to_issued(
    api, submitted, others
):
    created = submitted()

    others.approve(created, cut={"PEN-GEL-BLK": 1}, comment="One box is enough")
    assert status_of(api, created) == "approved"
    others.reserve(created, {"PAPER-A4": 5}, short={"PEN-GEL-BLK": 1})
    assert status_of(api, created) == "backordered"
    others.reserve(created, {"PAPER-A4": 5, "PEN-GEL-BLK": 1})
    assert status_of(api, created) == "reserved"
    others.issue(created, {"PAPER-A4": 5, "PEN-GEL-BLK": 1})

    shown = api("get", f"/requests/{created['id']}").json
    assert shown["status"] == "issued"
    assert [(line["approved_quantity"], line["issued_quantity"]) for line in shown["lines"]] == [
        (5, 5),
        (1, 1),
    ]
    assert timeline(api, created) == [
        ("submitted", "zhang.wei", "Submitted"),
        ("approved", "li.na", "Approved with cuts: PEN-GEL-BLK 2→1: One box is enough"),
        ("backordered", "inventory", "Reserved in stock; waiting for stock of PEN-GEL-BLK"),
        ("reserved", "inventory", "Reserved in stock"),
        ("issued", "chen.jie", "Handed out"),
    ]


def test_the_timeline_names_who_the_request_waits_for_and_whom_a_delegate_stood_in_for(
    api, submitted, others
):
    created = submitted()
    asked = {"request_id": created["id"], "round": 1}

    others.send(
        ev.APPROVAL_REQUESTED,
        {**asked, "task_id": new_id(), "level": 1, "approver": "li.na"},
        "approvals",
    )
    others.send(
        ev.APPROVAL_REQUESTED,
        {
            **asked,
            "task_id": new_id(),
            "level": 2,
            "approver": "no.such.person",
            "previous": {"level": 1, "by": "zhao.lei", "acting_for": "li.na", "comment": "Fine"},
        },
        "approvals",
    )

    assert timeline(api, created)[1:] == [
        ("submitted", "approvals", "Waiting for Li Na (approval level 1)"),
        (
            "submitted",
            "zhao.lei",
            # Someone this service does not know is named by her username.
            "Approved at level 1 as delegate for Li Na: Fine. "
            "Waiting for no.such.person (approval level 2)",
        ),
    ]


def test_a_reminder_and_a_hand_up_show_in_the_timeline_with_why(api, submitted, others):
    created = submitted()
    nudge = {"request_id": created["id"], "task_id": new_id(), "approver": "li.na"}

    others.send(ev.APPROVAL_REMINDED, {**nudge, "pending_seconds": 90000}, "approvals")
    others.send(
        ev.APPROVAL_ESCALATED,
        {
            **nudge,
            "pending_seconds": 90060,
            "escalated_to": "wang.fang",
            "reason": "Li Na no longer works here",
        },
        "approvals",
    )

    assert timeline(api, created)[1:] == [
        ("submitted", "approvals", "Reminder sent to Li Na"),
        ("submitted", "approvals", "Escalated from Li Na to Wang Fang: Li Na no longer works here"),
    ]
    assert api("get", f"/requests/{created['id']}").json["pending_approver"] == "wang.fang"


def test_a_duplicate_delivery_has_one_effect(api, submitted, others):
    created = submitted()
    approved = others.approve(created)

    assert others.deliver(approved) == "duplicate"
    assert len(timeline(api, created)) == 2


def test_an_event_for_an_earlier_round_is_ignored(api, submitted, others):
    created = submitted()
    others.close(created, ev.APPROVAL_RETURNED, "Fewer, please")
    api(
        "put",
        f"/requests/{created['id']}",
        json=request_body(lines=[{"sku": "PAPER-A4", "quantity": 1}]),
    )

    others.approve(created, round=1)  # a late approval of the first round

    assert status_of(api, created) == "submitted"
    assert [status for status, _by, _note in timeline(api, created)] == [
        "submitted",
        "returned",
        "submitted",
    ]


def test_a_late_approval_never_moves_a_request_back(api, submitted, others):
    created = submitted()
    approved = others.approve(created)
    others.reserve(created, {"PAPER-A4": 5, "PEN-GEL-BLK": 2})

    # The same approval again under a new event id, as a republished copy would be.
    assert others.deliver(replace(approved, id=new_id())) == "applied"

    assert status_of(api, created) == "reserved"


def test_a_rejection_after_cancelling_leaves_it_cancelled(api, submitted, others):
    created = submitted()
    api("post", f"/requests/{created['id']}/cancel")

    others.close(created, ev.APPROVAL_REJECTED, "Over budget")

    assert status_of(api, created) == "cancelled"


def test_an_event_for_an_unknown_request_is_ignored(others, submitted):
    created = submitted()

    others.approve({**created, "id": "not-ours"})  # applied, and nothing to change


# -- the catalog copy -----------------------------------------------------------
def catalog_item(database, sku: str) -> CatalogItem | None:
    with database.sessions() as session:
        return session.get(CatalogItem, sku)


def test_item_changed_adds_a_new_item_to_the_catalog(database, others):
    others.change_item(sku="STAPLER", name="Stapler 订书机", unit="piece", unit_cost="35.50")

    item = catalog_item(database, "STAPLER")
    assert (item.name, item.unit, item.unit_cost) == ("Stapler 订书机", "piece", Decimal("35.50"))


def test_item_changed_updates_the_copy_but_an_older_picture_does_not_overwrite_it(database, others):
    now = datetime.now(UTC)
    others.change_item(available=150, at=now)

    others.change_item(available=180, at=now - timedelta(minutes=5))

    assert catalog_item(database, "PAPER-A4").available == 150


def test_an_item_made_inactive_can_no_longer_be_asked_for(api, others):
    others.change_item(active=False)

    response = api("post", "/requests", json=request_body())

    assert response.status_code == 422
    assert "Unknown item" in str(response.json)


# -- filling an empty catalog from inventory --------------------------------------
INVENTORY_ITEMS = [
    {
        "sku": f"ITEM-{n:02}",
        "name": f"Item {n}",
        "unit": "piece",
        "unit_cost": "1.50",
        "on_hand": 10,
        "reserved": 2,
        "available": 8,
        "reorder_level": 3,
        "reorder_quantity": 20,
    }
    for n in range(150)
]


def fake_inventory(seen_tokens: list[str]) -> Flask:
    """Inventory's ``GET /api/v1/items``, paged as the contract says."""
    inventory = Flask("fake_inventory")

    @inventory.get("/api/v1/items")
    def items():
        seen_tokens.append(request.headers.get("Authorization", ""))
        page, per_page = int(request.args["page"]), int(request.args["per_page"])
        chunk = INVENTORY_ITEMS[(page - 1) * per_page : page * per_page]
        return {"items": chunk, "total": len(INVENTORY_ITEMS), "page": page, "per_page": per_page}

    return inventory


SECRET = "a-secret-of-at-least-thirty-two-characters"


@pytest.fixture
def empty_catalog_service(new_database_url):
    """Settings and database of a requests service whose catalog is still empty."""

    def make(inventory_url: str):
        settings = service.settings(
            {
                "DATABASE_URL": new_database_url(),
                "AUTH_SECRET": SECRET,
                "INVENTORY_URL": inventory_url,
            }
        )
        return settings, service.database(settings)

    return make


def test_an_empty_catalog_fills_itself_from_inventory_page_by_page(empty_catalog_service):
    tokens: list[str] = []
    with serving(fake_inventory(tokens)) as inventory_url:
        settings, database = empty_catalog_service(inventory_url)

        assert jobs.fill_catalog_if_empty(settings, database) == 150
        assert jobs.fill_catalog_if_empty(settings, database) == 0  # not empty any more

    assert len(tokens) == 2 and all(token.startswith("Bearer ") for token in tokens)
    item = catalog_item(database, "ITEM-07")
    assert (item.name, item.available, item.unit_cost) == ("Item 7", 8, Decimal("1.50"))


def test_the_first_item_changed_replaces_what_the_fill_copied(empty_catalog_service):
    with serving(fake_inventory([])) as inventory_url:
        settings, database = empty_catalog_service(inventory_url)
        jobs.fill_catalog_if_empty(settings, database)
    inventory = OtherServices(service.consumer(settings, database))

    inventory.change_item(sku="ITEM-07", name="Item 7", available=3)

    assert catalog_item(database, "ITEM-07").available == 3


def test_an_unreachable_inventory_leaves_the_catalog_empty_for_the_next_try(
    empty_catalog_service, caplog
):
    with serving(Flask("down")) as gone_url:
        settings, database = empty_catalog_service(gone_url)

        assert jobs.fill_catalog_if_empty(settings, database) == 0

    assert "inventory not reachable" in caplog.text

    with database.sessions() as session:
        assert session.query(CatalogItem).count() == 0


def test_an_empty_catalog_fills_itself_from_the_real_inventory_service(
    empty_catalog_service, new_database_url
):
    inventory = pytest.importorskip("inventory_service")
    settings = {"DATABASE_URL": new_database_url(package=None), "AUTH_SECRET": SECRET}
    with serving(inventory.create_app(settings)) as inventory_url:
        inventory.service.seed_if_empty(inventory.service.settings(settings))
        ours, database = empty_catalog_service(inventory_url)

        filled = jobs.fill_catalog_if_empty(ours, database)

    assert filled >= 10
    paper = catalog_item(database, "PAPER-A4")
    assert (paper.unit, paper.unit_cost, paper.available) == ("ream", Decimal("25.00"), 200)
