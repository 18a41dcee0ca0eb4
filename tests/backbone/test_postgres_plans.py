"""PostgreSQL: the look-up a consumer makes for every batch reads only the rows
it asks about, also on a table the server has no statistics for yet (a new
database, or any table before autovacuum first analyses it)."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import insert, text

from procurement_common.db import utcnow

import toy


@pytest.fixture
def engine(postgres_databases):
    engine = toy.setup_database(postgres_databases.create())
    with engine.begin() as connection:
        # Keep the table as a new one is: never analysed.
        connection.execute(text("ALTER TABLE processed_events SET (autovacuum_enabled = false)"))
    yield engine
    engine.dispose()


def _rows_read(plan: dict) -> int:
    """Rows each node of a plan produced or threw away, summed over the tree."""
    read = plan["Actual Rows"] * plan["Actual Loops"]
    read += plan.get("Rows Removed by Filter", 0) + plan.get("Rows Removed by Index Recheck", 0)
    return read + sum(_rows_read(child) for child in plan.get("Plans", []))


def _explained(engine, statement, parameters: dict) -> dict:
    expanded = statement.compile(dialect=engine.dialect).construct_expanded_state(parameters)
    with engine.connect() as connection:
        found = connection.exec_driver_sql(
            f"EXPLAIN (ANALYZE, FORMAT JSON) {expanded.statement}", expanded.parameters
        ).scalar_one()
    return (json.loads(found) if isinstance(found, str) else found)[0]["Plan"]


def test_the_duplicate_check_reads_only_the_events_it_asks_about(engine):
    consumer = toy.consumer(engine, "amqp://unused")
    applied = [
        {
            "consumer": consumer.name,
            "event_id": str(uuid.uuid4()),
            "event_type": toy.EVENT_TYPE,
            "processed_at": utcnow(),
        }
        for _ in range(5000)
    ]
    with engine.begin() as connection:
        connection.execute(insert(toy.messaging.processed_events), applied)
    asked = [row["event_id"] for row in applied[:3]] + [str(uuid.uuid4()) for _ in range(7)]

    plan = _explained(engine, consumer._seen, {"consumer": consumer.name, "ids": asked})

    # Keyed (consumer, event_id), this walked all 5,000 rows.
    assert _rows_read(plan) <= 2 * len(asked), json.dumps(plan, indent=1)
