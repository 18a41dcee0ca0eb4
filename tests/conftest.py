"""Fixtures every test module may use: tokens, fresh databases, a fresh
RabbitMQ virtual host. Nothing here depends on a running ``make run``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from procurement_common.auth import Principal, issue_token

# Test modules import shared helpers from tests/support.py as ``support``.
sys.path.insert(0, str(Path(__file__).parent))

from support import TEST_SECRET, poll

PG_ADMIN_DSN = os.environ.get(
    "PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)
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

    def make(username: str, roles=None, department=None, secret=TEST_SECRET, ttl=600) -> str:
        dept, demo_roles = DEMO_PEOPLE.get(username, ("FIN", {"staff"}))
        principal = Principal(
            id=username,
            username=username,
            name=username.replace(".", " ").title(),
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


class PostgresDatabases:
    """Creates throwaway PostgreSQL databases and drops them afterwards."""

    def __init__(self):
        self.created: list[str] = []

    def create(self) -> str:
        name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

    def drop_all(self):
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_databases():
    databases = PostgresDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture
def new_database_url(request, tmp_path, postgres_databases):
    """A factory of empty databases of the backend chosen by ``--db``."""
    backend = request.config.getoption("--db")
    counter = iter(range(1000))

    def make(backend: str = backend) -> str:
        if backend == "postgresql":
            return postgres_databases.create()
        return f"sqlite:///{tmp_path}/db{next(counter)}.sqlite"

    return make


@pytest.fixture
def database_url(new_database_url) -> str:
    return new_database_url()


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


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
