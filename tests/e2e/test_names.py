"""A person's name travels from requests, where administrators keep it, to
the approvals pages, through real processes and RabbitMQ."""

from __future__ import annotations

import uuid

from support import poll


def test_a_leader_renamed_in_requests_is_offered_by_her_new_name_in_approvals(system):
    admin = system.client("admin")
    username = f"lead.{uuid.uuid4().hex[:8]}"
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

    renamed = admin.call("PATCH", "requests", f"/users/{username}", json={"name": "Sun Li-Ma"})
    assert renamed.status_code == 200, renamed.text

    leader = system.client("li.na")
    poll(
        lambda: (
            f'<option value="{username}">Sun Li-Ma</option>'
            in leader.page("approvals", "/delegations")
        ),
        message="the new name on the delegation page",
    )
