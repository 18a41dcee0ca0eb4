"""Fixtures every test module may use: tokens, fresh databases, a fresh
RabbitMQ virtual host. Nothing here depends on a running ``make run``.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from procurement_common.auth import Principal, issue_token
from procurement_common.db import make_engine
from procurement_common.migrations import upgrade
from procurement_common.outbox import MessagingTables

# Test modules import shared helpers from tests/support.py as ``support``.
sys.path.insert(0, str(Path(__file__).parent))

from support import PG_ADMIN_DSN, TEST_SECRET, poll, rabbitmqctl

AMQP_HOST = os.environ.get("AMQP_HOST", "127.0.0.1:5672")

DEMO_PEOPLE = {
    # username: (department, roles)
    "zhang.wei": ("FIN", {"staff"}),
    "liu.yang": ("SAL", {"staff"}),
    "li.na": ("FIN", {"staff", "leader"}),
    "zhao.lei": ("SAL", {"staff", "leader"}),
    "wang.fang": ("GO", {"staff", "leader", "director"}),
    "chen.jie": ("GO", {"staff", "clerk"}),
    "admin": ("GO", {"admin"}),
}


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        action="store",
        default=os.environ.get("TEST_DB", "sqlite"),
        choices=["sqlite", "postgresql"],
        help="database for tests that take the `database_url` fixture",
    )


@pytest.fixture
def token_for():
    """A bearer token for a demo person, or for anyone with the given roles."""

    def make(
        username: str, roles=None, department=None, secret=TEST_SECRET, ttl=600, name=None
    ) -> str:
        dept, demo_roles = DEMO_PEOPLE.get(username, ("FIN", {"staff"}))
        principal = Principal(
            id=username,
            username=username,
            name=name or username.replace(".", " ").title(),
            department=department or dept,
            roles=frozenset(roles if roles is not None else demo_roles),
        )
        return issue_token(secret, principal, ttl)

    return make


@pytest.fixture
def auth_header(token_for):
    def make(username: str, **kwargs) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(username, **kwargs)}"}

    return make


@pytest.fixture(autouse=True)
def events_keep_their_contracts(monkeypatch):
    """Every event any code under test records must satisfy its contract.

    Producers do not check their events in production (consumers do, on
    arrival); this is where a producer that breaks a contract is caught.
    """
    record = MessagingTables.record

    def checked(self, transaction, event):
        errors = event.contract_errors()
        assert not errors, f"{event.type} breaks its contract: {errors}"
        return record(self, transaction, event)

    monkeypatch.setattr(MessagingTables, "record", checked)


SERVICE_PACKAGES = {
    "requests": "request_service",
    "inventory": "inventory_service",
    "approvals": "approval_service",
}


def migrated(url: str, package: str) -> str:
    engine = make_engine(url)
    try:
        upgrade(engine, importlib.import_module(package).service.migrations)
    finally:
        engine.dispose()
    return url


class PostgresDatabases:
    """Creates throwaway PostgreSQL databases and drops them afterwards."""

    def __init__(self):
        self.created: list[str] = []
        self.templates: dict[str, str] = {}

    def create(self, template: str | None = None) -> str:
        name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(
                f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
            )
        self.created.append(name)
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

    def create_migrated(self, package: str) -> str:
        """A database at the service's head revision, copied from a migrated template."""
        if package not in self.templates:
            url = migrated(self.create(), package)
            self.templates[package] = url.rsplit("/", 1)[1]
        return self.create(template=self.templates[package])

    def drop_all(self):
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_databases():
    databases = PostgresDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory):
    """A migrated SQLite file per service, copied for each test that needs one."""
    folder = tmp_path_factory.mktemp("sqlite-templates")
    made: dict[str, Path] = {}

    def template(package: str) -> Path:
        if package not in made:
            made[package] = folder / f"{package}.sqlite"
            migrated(f"sqlite:///{made[package]}", package)
        return made[package]

    return template


@pytest.fixture
def new_database_url(request, tmp_path, postgres_databases, sqlite_templates):
    """A factory of databases of the backend chosen by ``--db``.

    In a service's test folder they come migrated to that service's head
    (copied from a template, which is much faster than migrating each);
    elsewhere they are empty.
    """
    backend = request.config.getoption("--db")
    folder = Path(request.path).relative_to(Path(__file__).parent).parts[0]
    counter = iter(range(1000))

    def make(backend: str = backend, package: str | None = SERVICE_PACKAGES.get(folder)) -> str:
        if backend == "postgresql":
            return (
                postgres_databases.create_migrated(package)
                if package
                else postgres_databases.create()
            )
        path = tmp_path / f"db{next(counter)}.sqlite"
        if package:
            shutil.copyfile(sqlite_templates(package), path)
        return f"sqlite:///{path}"

    return make


@pytest.fixture
def database_url(new_database_url) -> str:
    return new_database_url()


class VirtualHosts:
    """Each test suite part gets its own RabbitMQ virtual host: its own exchange and queues."""

    def __init__(self):
        self.created: list[str] = []

    def create(self) -> str:
        name = f"test-{uuid.uuid4().hex[:12]}"
        rabbitmqctl("add_vhost", name)
        rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        self.created.append(name)
        return f"amqp://guest:guest@{AMQP_HOST}/{name}"

    def delete_all(self):
        for name in self.created:
            subprocess.run(
                ["rabbitmqctl", "-q", "delete_vhost", name], capture_output=True, timeout=60
            )


@pytest.fixture(scope="session")
def virtual_hosts():
    hosts = VirtualHosts()
    yield hosts
    hosts.delete_all()


@pytest.fixture
def amqp_url(virtual_hosts) -> str:
    return virtual_hosts.create()


@pytest.fixture
def wait_until():
    return poll


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test that ran the real processes shows their logs."""
    report = yield
    system = getattr(item, "funcargs", {}).get("system")
    if report.failed and system is not None:
        report.sections.append(("processes' logs", system.logs()))
    return report
