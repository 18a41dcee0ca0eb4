"""Each service's migrations build exactly the schema its models describe."""

from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from procurement_common.db import make_engine
from procurement_common.migrations import upgrade


@pytest.mark.parametrize("package", ["request_service", "inventory_service", "approval_service"])
def test_the_migrations_match_the_models(package, new_database_url):
    service = importlib.import_module(package).service
    engine = make_engine(new_database_url(package=None))
    try:
        upgrade(engine, service.migrations)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, service.metadata) == []
        upgrade(engine, service.migrations)  # a second start finds nothing to do
    finally:
        engine.dispose()


@pytest.mark.parametrize("package", ["request_service", "inventory_service", "approval_service"])
def test_the_outbox_is_indexed_on_its_unsent_rows_only(package, new_database_url):
    # Alembic's comparison above does not look at an index's condition.
    engine = make_engine(new_database_url(package=package))
    try:
        indexes = inspect(engine).get_indexes("outbox")
        (unsent,) = [i for i in indexes if i["name"] == "ix_outbox_unsent"]
        assert unsent["column_names"] == ["id"]
        condition = unsent["dialect_options"][f"{engine.dialect.name}_where"]
        assert str(condition).strip("()").lower() == "sent_at is null"
    finally:
        engine.dispose()
