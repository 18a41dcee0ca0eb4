"""Work that flows through the whole system, and the tally of what became of it."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field

import requests

from support import poll

SKU = "PAPER-A4"  # 200 on hand in the demo data: one each for 200 requests


@dataclass
class Workload:
    system: object
    staff: object = None
    leader: object = None
    clerk: object = None
    submitted: list[str] = field(default_factory=list)
    approved: set[str] = field(default_factory=set)
    sent: int = 0
    # Answers other than 201 (a 503 or a refused connection while something was down).
    refused: int = 0

    def __post_init__(self):
        self.staff = self.system.client("zhang.wei")
        self.leader = self.system.client("li.na")
        self.clerk = self.system.client("chen.jie")
        poll(lambda: self._catalog_ready(), timeout=60, message="the catalog copy")

    def _catalog_ready(self) -> bool:
        return self.staff.get("requests", "/catalog").json()["total"] > 0

    def submit(self, count: int) -> None:
        """Submit ``count`` requests; a 503 (database away) is retried with the same key."""
        for _ in range(count):
            key = str(uuid.uuid4())
            self.sent += 1

            def accepted(key=key):
                try:
                    response = self.staff.post(
                        "requests",
                        "/requests",
                        json={"lines": [{"sku": SKU, "quantity": 1}], "purpose": "fault test"},
                        headers={"Idempotency-Key": key},
                    )
                except requests.ConnectionError:
                    self.refused += 1
                    return None
                if response.status_code != 201:
                    self.refused += 1
                    return None
                return response.json()["id"]

            self.submitted.append(poll(accepted, timeout=60, interval=0.5, message="acceptance"))

    def pending_tasks(self) -> list[dict]:
        tasks, page = [], 1
        while True:
            try:
                body = self.leader.get(
                    "approvals",
                    "/approvals",
                    params={"status": "pending", "per_page": 100, "page": page},
                ).json()
            except (requests.ConnectionError, ValueError):
                return tasks
            tasks += body.get("items", [])
            if page * 100 >= body.get("total", 0):
                return tasks
            page += 1

    def approve_pending(self) -> int:
        """Approve every pending task seen now; say how many were approved."""
        done = 0
        for task in self.pending_tasks():
            if task["request_id"] in self.approved:
                continue
            try:
                response = self.leader.post(
                    "approvals", f"/approvals/{task['id']}/decision", json={"decision": "approve"}
                )
            except requests.ConnectionError:
                continue
            if response.status_code == 200:
                self.approved.add(task["request_id"])
                done += 1
        return done

    def approve_all(self, timeout: float = 120) -> None:
        def all_approved():
            self.approve_pending()
            return len(self.approved) == len(self.submitted)

        poll(all_approved, timeout=timeout, interval=0.5, message="every task approved")

    def request(self, request_id: str) -> dict:
        return self.staff.get("requests", f"/requests/{request_id}").json()

    def wait_for_reservations(self, timeout: float = 120) -> None:
        def all_reserved():
            return all(self.request(r)["status"] == "reserved" for r in self.submitted)

        poll(all_reserved, timeout=timeout, interval=1.0, message="every request reserved")

    def tally(self, case: str) -> Tally:
        tally = Tally(case, sent=self.sent, accepted=len(set(self.submitted)), refused=self.refused)
        for request_id in self.submitted:
            body = self.request(request_id)
            if body["status"] == "reserved":
                tally.arrived += 1
            # Each event the request heard of leaves one history entry; a
            # second entry of the same kind means an event applied twice.
            kinds = Counter(
                (entry["round"], entry["note"].split(":")[0].split(" (")[0])
                for entry in body["history"]
                if entry["by"] != "zhang.wei"
            )
            if any(count > 1 for count in kinds.values()):
                tally.applied_twice += 1
        item = self.clerk.get("inventory", f"/items/{SKU}").json()
        tally.reserved_units = item["reserved"]
        return tally


@dataclass
class Tally:
    case: str
    sent: int
    accepted: int
    refused: int = 0
    arrived: int = 0
    applied_twice: int = 0
    reserved_units: int = 0

    def report(self) -> str:
        line = (
            f"faults: {self.case}: sent={self.sent} accepted={self.accepted} "
            f"refused_then_retried={self.refused} "
            f"arrived={self.arrived} applied_twice={self.applied_twice} "
            f"reserved_units={self.reserved_units}"
        )
        print(line)
        return line

    def assert_nothing_lost_or_doubled(self) -> None:
        self.report()
        assert self.accepted == self.sent
        assert self.arrived == self.accepted
        assert self.applied_twice == 0
        # One unit per request: a doubled reservation would show here.
        assert self.reserved_units == self.accepted
