"""The approval rules through the six real processes: two levels above the
threshold, a delegate acting for the leader, return for revision, and a
leader who leaves losing her say in every service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support import poll


def pending_task(client, request_id: str) -> dict | None:
    tasks = client.get(
        "approvals", "/approvals", params={"status": "pending", "request_id": request_id}
    ).json()["items"]
    return tasks[0] if tasks else None


def test_a_delegate_and_the_director_approve_in_turn_after_a_return_for_revision(system):
    staff = system.client("zhang.wei")
    leader = system.client("li.na")
    delegate = system.client("zhao.lei")
    director = system.client("wang.fang")
    poll(lambda: staff.get("requests", "/catalog").json()["total"] > 0, timeout=30)
    today = datetime.now(UTC).date()
    delegation = leader.post(
        "approvals",
        "/delegations",
        json={"delegate": "zhao.lei", "starts": str(today), "ends": str(today + timedelta(1))},
    )
    assert delegation.status_code == 201, delegation.text

    # 3 toners cost 1,260.00: above the 1,000.00 threshold, so two levels.
    created = staff.post(
        "requests",
        "/requests",
        json={"lines": [{"sku": "TONER-HP-26A", "quantity": 3}], "purpose": "Printers"},
    ).json()
    first = poll(lambda: pending_task(delegate, created["id"]), message="the delegate's task")
    assert first["approver"] == "li.na" and first["level"] == 1
    approved = delegate.post(
        "approvals", f"/approvals/{first['id']}/decision", json={"decision": "approve"}
    )
    assert approved.status_code == 200, approved.text

    second = poll(lambda: pending_task(director, created["id"]), message="the director's task")
    assert second["level"] == 2
    returned = director.post(
        "approvals",
        f"/approvals/{second['id']}/decision",
        json={"decision": "return", "comment": "Two will do until the new printer arrives."},
    )
    assert returned.status_code == 200, returned.text

    def status():
        return staff.get("requests", f"/requests/{created['id']}").json()["status"]

    poll(lambda: status() == "returned", message="the return to reach the requester")

    # Two toners cost 840.00: the second round needs one level only.
    edited = staff.put(
        "requests",
        f"/requests/{created['id']}",
        json={"lines": [{"sku": "TONER-HP-26A", "quantity": 2}], "purpose": "Printers"},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["round"] == 2
    again = poll(lambda: pending_task(delegate, created["id"]), message="the second round")
    delegate.post("approvals", f"/approvals/{again['id']}/decision", json={"decision": "approve"})
    poll(lambda: status() == "reserved", message="the reservation")

    history = staff.get("requests", f"/requests/{created['id']}").json()["history"]
    notes = [entry["note"] for entry in history]
    assert any("Two will do" in note for note in notes), notes
    assert [e["acting_for"] for e in history if e["by"] == "zhao.lei"] == ["li.na", "li.na"]


def test_a_leader_who_leaves_is_signed_out_of_every_service(system):
    admin = system.client("admin")
    added = admin.post(
        "requests",
        "/users",
        json={
            "username": "sun.li",
            "name": "Sun Li",
            "department": "FIN",
            "roles": ["leader", "staff"],
            "password": "a long enough secret",
        },
    )
    assert added.status_code == 201, added.text
    sun_li = system.client("sun.li", "a long enough secret")
    assert sun_li.get("approvals", "/approvals").status_code == 200
    assert sun_li.get("inventory", "/items").status_code == 200

    left = admin.call("patch", "requests", "/users/sun.li", json={"active": False})
    assert left.status_code == 200, left.text

    for service, path in (
        ("requests", "/requests"),
        ("approvals", "/approvals"),
        ("inventory", "/items"),
    ):
        poll(
            lambda service=service, path=path: sun_li.get(service, path).status_code == 401,
            timeout=20,
            message=f"{service} to refuse her token",
        )
