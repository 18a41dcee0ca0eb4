"""End-to-end: the six real processes, once on SQLite and once on PostgreSQL."""

from __future__ import annotations

import pytest

from system import PACKAGES, System


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def system(request, tmp_path_factory, postgres_databases, virtual_hosts):
    """The six processes, once per database backend, shared by a module's tests."""
    backend = request.param
    workdir = tmp_path_factory.mktemp(f"system-{backend}")
    if backend == "postgresql":
        urls = {service: postgres_databases.create() for service in PACKAGES}
    else:
        urls = {service: f"sqlite:///{workdir}/{service}.db" for service in PACKAGES}
    extra = getattr(request.module, "SYSTEM_ENV", {})
    system = System(workdir, virtual_hosts.create(), urls, extra_env=extra)
    try:
        system.start_all()
        yield system
    except BaseException:
        print(system.logs())
        raise
    finally:
        system.stop_all()
    if request.node.session.testsfailed:
        print(system.logs())


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)
