"""Requests submitted while RabbitMQ is stopped are accepted, and their events
arrive once it is back."""

from __future__ import annotations

from support import poll
from system import broker_down


def test_requests_made_while_the_broker_is_down_reach_approvals_after_it_returns(system):
    staff = system.client("liu.yang")
    leader = system.client("zhao.lei")
    poll(
        lambda: staff.get("requests", "/catalog").json()["total"] > 0,
        timeout=30,
        message="the catalog copy",
    )
    created = []
    with broker_down():
        for n in range(5):
            response = staff.post(
                "requests",
                "/requests",
                json={"lines": [{"sku": "PAPER-A4", "quantity": 1}], "purpose": f"outage {n}"},
            )
            assert response.status_code == 201, response.text
            created.append(response.json()["id"])

    def tasks_for_all():
        pending = leader.get(
            "approvals", "/approvals", params={"status": "pending", "per_page": 100}
        ).json()["items"]
        return set(created) <= {task["request_id"] for task in pending}

    poll(tasks_for_all, timeout=90, message="every request's approval task")
