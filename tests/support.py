"""Helpers for tests: waiting by polling, never by a fixed sleep."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

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
