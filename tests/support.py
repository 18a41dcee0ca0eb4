"""Helpers for tests: waiting by polling, never by a fixed sleep."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from procurement_common import events as ev
from procurement_common.db import utcnow
from procurement_common.events import Event

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"
PG_ADMIN_DSN = os.environ.get(
    "PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)


def poll(predicate, timeout: float = 20.0, interval: float = 0.05, message: str = "condition"):
    """Wait until ``predicate()`` is truthy and return it; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=120)


def account_changed(username: str, *, department: str = "FIN", **changes):
    """The ``account.changed`` the requests service announces after an administrator's change."""
    data = {
        "username": username,
        "changed_at": utcnow(),
        "active": True,
        "department": department,
        "roles": ["staff"],
        **changes,
    }
    return Event.new(ev.ACCOUNT_CHANGED, data, source="requests")
