"""The event backbone against the real broker: nothing lost, nothing applied twice."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import func, select

from procurement_common.consumer import Outcome
from procurement_common.dead_letters import DeadLetterQueue
from procurement_common.relay import OutboxRelay
from procurement_common.topology import Topology

import toy
from dying import DIED


def run_dying(role: str, database_url: str, amqp_url: str) -> int:
    script = Path(__file__).parent / "dying.py"
    process = subprocess.Popen([sys.executable, str(script), role, database_url, amqp_url])
    try:
        return process.wait(timeout=30)
    finally:
        process.kill()


QUEUE = Topology.queue_name(toy.QUEUE_OWNER)
DEAD = Topology.dead_letter_queue_name(toy.QUEUE_OWNER)


def test_an_event_delivered_twice_has_one_effect(engine, broker, run_consumer, wait_until):
    event = toy.new_event("twice")
    broker.publish(event.to_json())
    broker.publish(event.to_json())

    outcomes = run_consumer()

    wait_until(lambda: len(outcomes) == 2, message="both deliveries")
    assert sorted(outcomes) == [Outcome.APPLIED, Outcome.DUPLICATE]
    assert toy.counter(engine, "twice") == 1


def test_a_consumer_killed_after_commit_and_before_ack_has_no_double_effect(
    engine, broker, run_consumer, database_url, amqp_url, wait_until
):
    broker.publish(toy.new_event("killed").to_json())
    assert run_dying("consumer", database_url, amqp_url) == DIED
    assert toy.counter(engine, "killed") == 1

    # The broker gives the unacked message to the next consumer, which skips it.
    outcomes = run_consumer()
    wait_until(lambda: outcomes, message="the redelivery")
    print(
        f"faults: consumer killed before ack: sent=1 arrived=1 applied={toy.counter(engine, 'killed')}"
    )
    assert outcomes == [Outcome.DUPLICATE]
    assert toy.counter(engine, "killed") == 1
    wait_until(lambda: broker.depth(QUEUE) == 0, message="an empty queue")


def test_a_message_that_always_fails_is_dead_lettered_after_the_limit_and_later_ones_flow(
    engine, broker, run_consumer, wait_until
):
    broker.publish(toy.new_event("poisoned", by="poison").to_json())
    broker.publish(toy.new_event("healthy").to_json())

    outcomes = run_consumer()

    wait_until(lambda: toy.counter(engine, "healthy") == 1, message="the healthy event")
    wait_until(lambda: broker.depth(DEAD) == 1, message="the dead letter")
    # The first delivery plus one per allowed redelivery, then no more.
    assert outcomes.count(Outcome.FAILED) == Topology().delivery_limit + 1
    assert toy.counter(engine, "poisoned") is None


def test_a_message_that_is_not_an_event_goes_straight_to_the_dead_letter_queue(
    broker, run_consumer, wait_until
):
    broker.publish(b"{not json")
    outcomes = run_consumer()
    wait_until(lambda: outcomes == [Outcome.POISON], message="the poison outcome")
    wait_until(lambda: broker.depth(DEAD) == 1, message="the dead letter")


def test_the_relay_publishes_every_outbox_row_once_confirmed(
    engine, amqp_url, run_consumer, wait_until
):
    events = [toy.new_event(f"relayed-{n}") for n in range(300)]
    with engine.begin() as connection:
        for event in events:
            toy.messaging.record(connection, event)
    stop = threading.Event()
    relay = OutboxRelay(engine, toy.messaging.outbox, amqp_url)
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    outcomes = run_consumer()
    try:
        wait_until(lambda: len(outcomes) == 300, timeout=60, message="300 events consumed")
    finally:
        stop.set()
        thread.join(timeout=15)

    outbox = toy.messaging.outbox
    with engine.connect() as connection:
        unsent = connection.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        )
    assert unsent == 0
    assert set(outcomes) == {Outcome.APPLIED}
    assert all(toy.counter(engine, f"relayed-{n}") == 1 for n in range(300))


def test_a_handler_slower_than_the_heartbeat_keeps_its_connection(
    engine, amqp_url, broker, run_consumer, wait_until
):
    # One-second heartbeats: a blocked I/O loop would lose the connection and
    # the unacked message would come back as a duplicate.
    outcomes = run_consumer(amqp_url=f"{amqp_url}?heartbeat=1")
    broker.publish(toy.new_event("slow", by="slow").to_json())
    broker.publish(toy.new_event("after-slow").to_json())

    wait_until(lambda: len(outcomes) >= 2, timeout=30, message="both events")
    wait_until(lambda: broker.held(QUEUE) == 0, timeout=60, interval=0.5, message="both acks")
    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED]
    assert toy.counter(engine, "slow") == 1


def test_a_dead_letter_can_be_listed_and_replayed_once_the_cause_is_fixed(
    engine, broker, amqp_url, run_consumer, wait_until, monkeypatch
):
    poisoned = toy.new_event("fixed-later", by="poison")
    broker.publish(poisoned.to_json())
    run_consumer()
    wait_until(lambda: broker.depth(DEAD) == 1, message="the dead letter")

    dead_letters = DeadLetterQueue(amqp_url, toy.QUEUE_OWNER)
    [letter] = dead_letters.list()
    assert (letter.event_id, letter.event_type) == (poisoned.id, poisoned.type)
    assert letter.reason == "delivery_limit"
    # Listed letters go back when the listing's connection closes, on the broker's time.
    wait_until(lambda: broker.depth(DEAD) == 1, message="the listed letter back in place")

    monkeypatch.setattr(toy, "FAILING_SENDERS", set())
    assert dead_letters.replay(poisoned.id).event_id == poisoned.id
    wait_until(lambda: toy.counter(engine, "fixed-later") == 1, message="the replayed event")
    assert broker.depth(DEAD) == 0


def test_a_relay_killed_after_the_confirm_and_before_marking_sends_again_and_it_applies_once(
    engine, database_url, amqp_url, run_consumer, wait_until
):
    event = toy.new_event("resent")
    with engine.begin() as connection:
        toy.messaging.record(connection, event)
    assert run_dying("relay", database_url, amqp_url) == DIED

    stop = threading.Event()
    relay = OutboxRelay(engine, toy.messaging.outbox, amqp_url)
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    outcomes = run_consumer()
    try:
        wait_until(lambda: len(outcomes) == 2, message="the first send and the resend")
    finally:
        stop.set()
        thread.join(timeout=15)
    print(
        f"faults: relay killed before marking sent: sent=1 published=2 applied={toy.counter(engine, 'resent')}"
    )
    assert sorted(outcomes) == [Outcome.APPLIED, Outcome.DUPLICATE]
    assert toy.counter(engine, "resent") == 1
