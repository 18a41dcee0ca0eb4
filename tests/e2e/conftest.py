"""End-to-end: the six real processes, once on SQLite and once on PostgreSQL."""

from __future__ import annotations

import pytest

from system import running_system


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def system(request, tmp_path_factory, postgres_databases, virtual_hosts):
    """The six processes, once per database backend, shared by every end-to-end test.

    Each test makes its own requests and asks only about them, so none
    depends on another's leftovers; starting the six processes takes longer
    than most tests. The tests after the broker outage find the system as an
    office would after one: every process reconnected on its own.
    """
    workdir = tmp_path_factory.mktemp(f"system-{request.param}")
    with running_system(request.param, workdir, postgres_databases, virtual_hosts) as system:
        yield system


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)
