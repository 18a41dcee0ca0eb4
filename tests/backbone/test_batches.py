"""A backlog is applied in batches, and a batch keeps every promise of one message."""

from __future__ import annotations

from sqlalchemy import event as sqlalchemy_event

from procurement_common.consumer import Outcome

import toy


def test_a_batch_applies_each_event_once_and_skips_what_was_done_before(engine):
    consumer = toy.consumer(engine, "amqp://unused")
    earlier, first, second = (
        toy.new_event("earlier"),
        toy.new_event("first"),
        toy.new_event("second"),
    )
    assert consumer.apply(earlier.to_json().encode()) == Outcome.APPLIED

    outcomes = consumer.apply_all([e.to_json().encode() for e in (first, second, first, earlier)])

    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED, Outcome.DUPLICATE, Outcome.DUPLICATE]
    assert [toy.counter(engine, key) for key in ("earlier", "first", "second")] == [1, 1, 1]


def test_a_batch_finds_its_duplicates_in_the_statement_that_records_it(engine):
    consumer = toy.consumer(engine, "amqp://unused")
    earlier = toy.new_event("earlier")
    consumer.apply(earlier.to_json().encode())
    batch = [toy.new_event(key) for key in ("one", "two")] + [earlier]
    statements = []
    sqlalchemy_event.listen(
        engine,
        "before_cursor_execute",
        lambda _conn, _cursor, sql, *_rest: statements.append(sql),
    )

    outcomes = consumer.apply_all([e.to_json().encode() for e in batch])

    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED, Outcome.DUPLICATE]
    # Not a look-up and then an insert: one round trip, on any table size.
    assert len([sql for sql in statements if "processed_events" in sql]) == 1


def test_one_failing_event_in_a_batch_costs_only_itself(engine):
    consumer = toy.consumer(engine, "amqp://unused")
    batch = [toy.new_event("before"), toy.new_event("broken", by="poison"), toy.new_event("after")]

    outcomes = consumer.apply_all([e.to_json().encode() for e in batch])

    assert outcomes == [Outcome.APPLIED, Outcome.FAILED, Outcome.APPLIED]
    assert [toy.counter(engine, key) for key in ("before", "broken", "after")] == [1, None, 1]


def test_a_message_that_is_not_an_event_does_not_hold_up_its_batch(engine):
    consumer = toy.consumer(engine, "amqp://unused")

    outcomes = consumer.apply_all([b"not json", toy.new_event("fine").to_json().encode()])

    assert outcomes == [Outcome.POISON, Outcome.APPLIED]
    assert toy.counter(engine, "fine") == 1


def test_a_backlog_is_applied_in_far_fewer_transactions_than_messages(
    engine, broker, run_consumer, wait_until
):
    keys = [f"backlog-{n}" for n in range(300)]
    for key in keys:
        broker.publish(toy.new_event(key).to_json())
    commits = []
    sqlalchemy_event.listen(engine, "commit", lambda _connection: commits.append(1))

    outcomes = run_consumer()

    wait_until(lambda: len(outcomes) == len(keys), message="the whole backlog")
    assert set(outcomes) == {Outcome.APPLIED}
    assert all(toy.counter(engine, key) == 1 for key in keys)
    # Up to ten a transaction on SQLite, which has one write lock for all
    # writers; up to the prefetch of fifty on PostgreSQL, which has none.
    per_transaction = 5 if engine.dialect.name == "sqlite" else 20
    assert len(commits) <= len(keys) // per_transaction, (
        f"{len(commits)} transactions for {len(keys)} events"
    )
