"""The envelope every message travels in, and the contract of its data."""

from __future__ import annotations

import json

import pytest

from procurement_common import events as ev
from procurement_common.db import make_engine, new_metadata
from procurement_common.events import Event, InvalidEvent
from procurement_common.outbox import MessagingTables


def cancelled(**data) -> Event:
    return Event.new(
        ev.REQUEST_CANCELLED, {"request_id": "r1", "by": "zhang.wei", **data}, source="requests"
    )


def test_an_event_survives_the_trip_through_json():
    event = cancelled()
    again = Event.from_json(event.to_json().encode())
    assert again == event


def test_the_envelope_has_every_field_the_contract_names():
    envelope = json.loads(cancelled().to_json())
    assert set(envelope) == {
        "id", "type", "version", "occurred_at", "source", "correlation_id", "data",
    }  # fmt: skip
    assert envelope["version"] == 1
    assert envelope["occurred_at"].endswith("+00:00")


def test_chinese_text_is_kept_as_written():
    event = cancelled(by="张伟")
    assert "张伟" in event.to_json()
    assert Event.from_json(event.to_json()).data["by"] == "张伟"


def test_data_that_breaks_the_contract_is_named():
    event = Event.new(ev.REQUEST_CANCELLED, {"request_id": "r1"}, source="requests")
    assert event.contract_errors() == {"by": ["Missing data for required field."]}
    assert cancelled().contract_errors() == {}


def test_the_suite_fails_a_test_whose_code_records_an_event_that_breaks_its_contract(
    database_url,
):
    engine = make_engine(database_url)
    metadata = new_metadata()
    messaging = MessagingTables.define(metadata)
    metadata.create_all(engine)
    broken = Event.new(ev.REQUEST_CANCELLED, {"request_id": "r1"}, source="requests")
    try:
        with engine.begin() as connection, pytest.raises(AssertionError, match="contract"):
            messaging.record(connection, broken)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"id": "not-a-uuid"}',
        json.dumps({**json.loads(cancelled().to_json()), "type": "no.such.event"}).encode(),
        json.dumps({**json.loads(cancelled().to_json()), "version": 2}).encode(),
        json.dumps({**json.loads(cancelled().to_json()), "data": {"request_id": "r1"}}).encode(),
    ],
    ids=["not json", "not an object", "bad id", "unknown type", "unknown version", "bad data"],
)
def test_a_message_that_is_not_a_valid_event_is_refused(body):
    with pytest.raises(InvalidEvent):
        Event.from_json(body)


def test_newer_producers_may_add_fields_to_data():
    envelope = json.loads(cancelled().to_json())
    envelope["data"]["reason"] = "changed my mind"
    assert Event.from_json(json.dumps(envelope)).data["reason"] == "changed my mind"
