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
def test_processed_events_are_keyed_by_event_id_first(package, new_database_url):
    # Alembic's comparison above does not look at a key's column order.
    engine = make_engine(new_database_url(package=package))
    try:
        key = inspect(engine).get_pk_constraint("processed_events")
        assert key["constrained_columns"] == ["event_id", "consumer"]
    finally:
        engine.dispose()
