"""A token issued before its holder's account changed stops counting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from procurement_common import events as ev
from procurement_common.auth import AccountChanged, Principal, decode_token, issue_token
from procurement_common.db import make_engine, new_metadata, utcnow
from procurement_common.events import Event
from procurement_common.revocation import Cutoffs, TokenCutoffs

SECRET = "a-secret-long-enough-for-hs256-signing-0123456789"
LI_NA = Principal("u1", "li.na", "Li Na", "FIN", frozenset({"leader", "staff"}))


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def cutoffs(database_url):
    metadata = new_metadata()
    defined = TokenCutoffs.define(metadata)
    engine = make_engine(database_url)
    metadata.create_all(engine)
    yield defined, engine
    engine.dispose()


def note(cutoffs, username, at):
    defined, engine = cutoffs
    with engine.begin() as connection:
        defined.note(connection, username, at)


def test_a_token_issued_before_the_change_is_refused_and_one_issued_after_is_taken(cutoffs):
    defined, engine = cutoffs
    before = issue_token(SECRET, LI_NA, 600)
    note(cutoffs, "li.na", utcnow())
    after = issue_token(SECRET, LI_NA, 600)
    reader = defined.reader(engine)

    with pytest.raises(AccountChanged):
        decode_token(SECRET, before, reader)
    assert decode_token(SECRET, after, reader) == LI_NA


def test_only_the_changed_persons_tokens_stop_counting(cutoffs):
    defined, engine = cutoffs
    zhang = Principal("u2", "zhang.wei", "Zhang Wei", "FIN", frozenset({"staff"}))
    token = issue_token(SECRET, zhang, 600)
    note(cutoffs, "li.na", utcnow())

    assert decode_token(SECRET, token, defined.reader(engine)) == zhang


def test_the_later_change_counts_whichever_arrives_first(cutoffs):
    defined, engine = cutoffs
    earlier, later = utcnow() - timedelta(minutes=5), utcnow() + timedelta(minutes=5)
    note(cutoffs, "li.na", later)
    note(cutoffs, "li.na", earlier)

    assert Cutoffs(engine, defined.table).refuses("li.na", utcnow().timestamp())


def test_a_process_sees_a_new_change_within_a_second(cutoffs):
    defined, engine = cutoffs
    clock = Clock()
    reader = Cutoffs(engine, defined.table, clock=clock)
    issued_at = utcnow().timestamp()
    assert not reader.refuses("li.na", issued_at)

    note(cutoffs, "li.na", utcnow())
    clock.now += 0.5
    assert not reader.refuses("li.na", issued_at)  # its copy is half a second old
    clock.now += 0.5
    assert reader.refuses("li.na", issued_at)


def test_the_announcement_of_a_change_notes_the_cutoff(cutoffs):
    defined, engine = cutoffs
    changed_at = utcnow()
    event = Event.new(
        ev.ACCOUNT_CHANGED,
        {
            "username": "li.na",
            "changed_at": changed_at,
            "active": False,
            "department": "FIN",
            "roles": ["leader", "staff"],
        },
        source="requests",
    )
    arrived = Event.from_json(event.to_json())

    with Session(engine) as session, session.begin():
        defined.apply(session, arrived)

    reader = Cutoffs(engine, defined.table)
    assert reader.refuses("li.na", changed_at.timestamp() - 0.001)
    assert not reader.refuses("li.na", changed_at.timestamp())


def test_a_token_issued_within_the_same_second_as_a_change_but_after_it_counts(cutoffs):
    # Issued-at to the second would make it look as old as the change.
    defined, engine = cutoffs
    note(cutoffs, "li.na", utcnow())
    token = issue_token(SECRET, LI_NA, 600)

    assert decode_token(SECRET, token, defined.reader(engine)) == LI_NA
