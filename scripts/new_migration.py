"""Write a new Alembic revision for one service from its models.

    python scripts/new_migration.py inventory "add categories"

It upgrades a scratch SQLite database to the current head, then lets
Alembic compare it with the models and write the difference.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path

from alembic import command

from procurement_common.db import make_engine
from procurement_common.migrations import alembic_config

PACKAGES = {
    "requests": "request_service",
    "inventory": "inventory_service",
    "approvals": "approval_service",
}


def main(service: str, message: str) -> None:
    package = importlib.import_module(PACKAGES[service])
    definition = package.service
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{scratch}/scratch.db")
        config = alembic_config(definition.migrations, engine)
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in PACKAGES:
        sys.exit(f"usage: {Path(__file__).name} {{{'|'.join(PACKAGES)}}} MESSAGE")
    main(sys.argv[1], sys.argv[2])
