"""Throwaway databases, RabbitMQ virtual hosts and directories.

Each is registered for removal on the caller's ``ExitStack`` the moment it
exists, so an exception or Ctrl-C part-way through leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import psycopg

PG_ADMIN_DSN = os.environ.get(
    "PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/{vhost}"

DATABASES = ("sqlite", "postgresql")


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def _rabbitmqctl(*args: str, attempts: int = 3) -> None:
    # rabbitmqctl now and then fails while other test suites drive the same
    # broker; a second try a moment later goes through.
    for attempt in range(1, attempts + 1):
        done = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, timeout=60)
        if done.returncode == 0:
            return
        if attempt == attempts:
            reason = (done.stderr or done.stdout).decode(errors="replace").strip()
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {reason}")
        time.sleep(1)


class Resources:
    def __init__(self, stack: ExitStack):
        self._stack = stack
        self.root = Path(tempfile.mkdtemp(prefix="bench-"))
        stack.callback(shutil.rmtree, self.root, ignore_errors=True)

    def directory(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def database(self, kind: str, name: str) -> str:
        """An empty database of ``kind`` ("sqlite" or "postgresql"); its URL."""
        if kind == "sqlite":
            return f"sqlite:///{self.directory('db')}/{_unique(name + '-')}.sqlite"
        database = _unique("bench_")
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
        self._stack.callback(self._drop_database, database)
        return PG_URL.format(name=database)

    @staticmethod
    def _drop_database(name: str) -> None:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def virtual_host(self) -> str:
        """A fresh RabbitMQ virtual host for guest; its AMQP URL."""
        vhost = _unique("bench-")
        # Registered first: add_vhost can fail after creating the host.
        self._stack.callback(
            subprocess.run,
            ["rabbitmqctl", "-q", "delete_vhost", vhost],
            capture_output=True,
            timeout=60,
        )
        _rabbitmqctl("add_vhost", vhost)
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        return AMQP_URL.format(vhost=vhost)
