"""A person's name travels from requests, where administrators keep it, to
the approvals pages, through real processes and RabbitMQ."""

from __future__ import annotations

import uuid

from support import poll


def test_a_leader_added_in_requests_is_offered_by_her_name_in_approvals_and_renamed_there(
    system,
):
    admin = system.client("admin")
    leader = system.client("li.na")
    username = f"lead.{uuid.uuid4().hex[:8]}"

    def offered_as(name: str) -> bool:
        return f'<option value="{username}">{name}</option>' in leader.page(
            "approvals", "/delegations"
        )

    added = admin.post(
        "requests",
        "/users",
        json={
            "username": username,
            "name": "Sun Li",
            "department": "SAL",
            "roles": ["staff", "leader"],
            "password": "a long enough secret",
        },
    )
    assert added.status_code == 201, added.text
    # Before her first sign-in or change, and before any request names her.
    poll(lambda: offered_as("Sun Li"), message="the new leader on the delegation page")

    renamed = admin.call("PATCH", "requests", f"/users/{username}", json={"name": "Sun Li-Ma"})
    assert renamed.status_code == 200, renamed.text
    poll(lambda: offered_as("Sun Li-Ma"), message="her new name on the delegation page")


def test_the_demo_people_seeded_in_requests_are_named_on_the_clerks_ledger(system):
    clerk = system.client("chen.jie")
    added = clerk.post("inventory", "/receipts", json={"sku": "TONER-HP-26A", "quantity": 1})
    assert added.status_code in (200, 201), added.text

    # Announced when requests was seeded, before anyone signed in.
    poll(
        lambda: "<td>Chen Jie</td>" in clerk.page("inventory", "/items/TONER-HP-26A"),
        message="the clerk's name on the item's ledger",
    )
