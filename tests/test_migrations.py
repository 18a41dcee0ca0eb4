"""Each service's migrations build exactly the schema its models describe, can be
undone, and carry rows stored before them over."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect, text

import inventory_service
from procurement_common.db import make_engine, utcnow
from procurement_common.migrations import alembic_config, upgrade

SERVICES = ["request_service", "inventory_service", "approval_service"]


@pytest.fixture(params=SERVICES)
def service(request):
    return importlib.import_module(request.param).service


@pytest.fixture
def empty_engine(new_database_url):
    """An engine on a new database that no migration has touched yet."""
    engine = make_engine(new_database_url(package=None))
    yield engine
    engine.dispose()


def differences_from_the_models(engine, service) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, service.metadata)


def test_the_migrations_match_the_models(service, empty_engine):
    upgrade(empty_engine, service.migrations)
    assert differences_from_the_models(empty_engine, service) == []
    upgrade(empty_engine, service.migrations)  # a second start finds nothing to do


@pytest.mark.parametrize("package", SERVICES)
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


def test_each_migration_can_be_undone_and_done_again(service, empty_engine):
    upgrade(empty_engine, service.migrations)
    command.downgrade(alembic_config(service.migrations, empty_engine), "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_engine, service.migrations)
    assert differences_from_the_models(empty_engine, service) == []


def test_a_hand_out_made_before_costs_were_kept_is_valued_at_its_items_cost(empty_engine):
    engine, migrations = empty_engine, inventory_service.service.migrations
    command.upgrade(alembic_config(migrations, engine), "d4e6f8a0b2c5")
    tables = MetaData()
    tables.reflect(engine)
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(
            tables.tables["items"].insert(),
            {
                "sku": "PAPER-A4",
                "name": "A4 copy paper",
                "unit": "ream",
                "unit_cost": Decimal("25.00"),
                "on_hand": 10,
                "reserved": 0,
                "reorder_level": 0,
                "reorder_quantity": 0,
                "active": True,
                "created_at": now,
                "updated_at": now,
            },
        )
        connection.execute(
            tables.tables["reservations"].insert(),
            {
                "request_id": "r-1",
                "status": "issued",
                "department": "FIN",
                "urgency": "normal",
                "leader_assigned": False,
                "created_at": now,
                "updated_at": now,
            },
        )
        connection.execute(
            tables.tables["handouts"].insert(),
            {"id": "h-1", "request_id": "r-1", "by": "chen.jie", "at": now, "complete": True},
        )
        connection.execute(
            tables.tables["handout_lines"].insert(),
            {"handout_id": "h-1", "sku": "PAPER-A4", "quantity": 3},
        )
    upgrade(engine, migrations)
    with engine.connect() as connection:
        handed = connection.execute(text("SELECT quantity, unit_cost FROM handout_lines")).one()
        named = connection.scalar(text("SELECT department_name FROM reservations"))
    assert (handed.quantity, Decimal(handed.unit_cost)) == (3, Decimal("25.00"))
    assert named is None
