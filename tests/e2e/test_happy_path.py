"""One supply request travels the whole way, through real processes, RabbitMQ
and databases, on SQLite and on PostgreSQL."""

from __future__ import annotations

from support import poll


def request_status(client, request_id: str) -> str:
    return client.get("requests", f"/requests/{request_id}").json()["status"]


def catalog_copy(client) -> dict[str, dict]:
    items = client.get("requests", "/catalog", params={"per_page": 100}).json()["items"]
    return {item["sku"]: item for item in items}


def catalog_has(client, sku: str) -> bool:
    return sku in catalog_copy(client)


def test_a_request_goes_from_submission_to_receipt(system):
    staff = system.client("zhang.wei")
    leader = system.client("li.na")
    clerk = system.client("chen.jie")
    poll(lambda: catalog_has(staff, "PAPER-A4"), timeout=30, message="the catalog copy")

    created = staff.post(
        "requests",
        "/requests",
        json={
            "lines": [{"sku": "PAPER-A4", "quantity": 5}, {"sku": "PEN-GEL-BLK", "quantity": 2}],
            "purpose": "Quarter-end reports",
            "urgency": "urgent",
            "leader_assigned": False,
        },
    )
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    assert created.json()["status"] == "submitted"
    assert created.json()["total"] == "161.00"

    def pending_task():
        tasks = leader.get(
            "approvals", "/approvals", params={"status": "pending", "request_id": request_id}
        ).json()["items"]
        return tasks[0] if tasks else None

    task = poll(pending_task, message="the leader's pending task")
    assert task["approver"] == "li.na"
    assert task["level"] == 1

    decided = leader.post(
        "approvals", f"/approvals/{task['id']}/decision", json={"decision": "approve"}
    )
    assert decided.status_code == 200, decided.text

    poll(lambda: request_status(staff, request_id) == "reserved", message="the reservation")

    handed_out = clerk.post("inventory", "/handouts", json={"request_id": request_id})
    assert handed_out.status_code in (200, 201), handed_out.text
    poll(lambda: request_status(staff, request_id) == "issued", message="the hand-out")

    received = staff.post("requests", f"/requests/{request_id}/receive")
    assert received.status_code == 200, received.text
    assert received.json()["status"] == "received"

    history = [entry["status"] for entry in received.json()["history"]]
    for step in ("submitted", "approved", "reserved", "issued", "received"):
        assert step in history, f"{step} missing from history {history}"
    lines = {line["sku"]: line for line in received.json()["lines"]}
    assert lines["PAPER-A4"]["approved_quantity"] == 5
    assert lines["PAPER-A4"]["issued_quantity"] == 5

    paper = clerk.get("inventory", "/items/PAPER-A4").json()
    assert paper["reserved"] == 0
    assert paper["on_hand"] == paper["available"]
    # The form staff choose from shows what is left, within a second or so.
    poll(
        lambda: catalog_copy(staff)["PAPER-A4"]["available"] == paper["available"],
        message="the catalog copy's stock",
    )

    # Each service's report counts what it saw of the request.
    progress = leader.get("requests", "/reports/progress").json()
    stages = {row["stage"]: row["completed"] for row in progress["stages"]}
    assert stages["whole"] >= 1 and stages["receipt"] >= 1
    turnaround = leader.get("approvals", "/reports/turnaround").json()
    (desk,) = turnaround["approvers"]
    assert (desk["approver"], desk["decided"] >= 1) == ("li.na", True)
    usage = clerk.get("inventory", "/reports/usage", params={"department": "FIN"}).json()
    handed = {row["sku"]: row["quantity"] for row in usage["by_department"]}
    assert handed["PAPER-A4"] >= 5 and handed["PEN-GEL-BLK"] >= 2
    # The department's name came from requests, through approvals, to inventory,
    # and so did who asked and what for, which the clerk's hand-out queue shows.
    assert usage["department_name"] == "Finance"
    reservation = clerk.get("inventory", f"/reservations/{request_id}").json()
    assert (reservation["requester_name"], reservation["purpose"]) == (
        "Zhang Wei",
        "Quarter-end reports",
    )


def test_bad_input_on_the_path_gets_a_clear_4xx_and_stores_nothing(system):
    staff = system.client("zhang.wei")
    before = staff.get("requests", "/requests").json()["total"]
    for body in (
        {"lines": [], "purpose": "x"},
        {"lines": [{"sku": "PAPER-A4", "quantity": 0}], "purpose": "x"},
        {"lines": [{"sku": "NO-SUCH-THING", "quantity": 1}], "purpose": "x"},
        {"lines": [{"sku": "PAPER-A4", "quantity": 1}]},
    ):
        response = staff.post("requests", "/requests", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["message"]
    malformed = staff.post(
        "requests", "/requests", data="{", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert staff.get("requests", "/requests").json()["total"] == before
