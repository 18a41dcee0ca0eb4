"""Fault tests (`make test-faults`): the real processes on PostgreSQL and
RabbitMQ, broken on purpose while work flows through them."""

from __future__ import annotations

import pytest

from system import running_system


@pytest.fixture
def system(tmp_path, postgres_databases, virtual_hosts):
    with running_system("postgresql", tmp_path, postgres_databases, virtual_hosts) as system:
        yield system


def pytest_collection_modifyitems(items):
    for item in items:
        if "/faults/" in str(item.path):
            item.add_marker(pytest.mark.faults)
