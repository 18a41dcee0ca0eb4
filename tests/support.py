"""Helpers for tests: waiting by polling, never by a fixed sleep."""

from __future__ import annotations

import subprocess
import time

import pytest

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


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
