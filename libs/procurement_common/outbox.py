"""The transactional outbox and the processed-events table.

An event is written in the same transaction as the change it reports, so
either both happen or neither. The relay publishes it later; a consumer
records the event id in the same transaction as its effect, so a second
delivery finds the id and does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .db import UTCDateTime, utcnow
from .events import Event

# SQLite only autoincrements a plain INTEGER primary key.
_AutoId = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    processed_events: Table

    @classmethod
    def define(cls, metadata: MetaData) -> MessagingTables:
        outbox = Table(
            "outbox",
            metadata,
            Column("id", _AutoId, primary_key=True, autoincrement=True),
            Column("event_id", String(36), nullable=False, unique=True),
            Column("type", String(64), nullable=False),
            Column("body", Text, nullable=False),
            Column("created_at", UTCDateTime, nullable=False),
            Column("sent_at", UTCDateTime, nullable=True),
            Column("attempts", Integer, nullable=False, default=0),
            Column("last_error", Text, nullable=True),
            # Only unsent rows: see ``migrations.index_unsent_outbox_rows``.
            Index(
                "ix_outbox_unsent",
                "id",
                sqlite_where=text("sent_at IS NULL"),
                postgresql_where=text("sent_at IS NULL"),
            ),
        )
        processed = Table(
            "processed_events",
            metadata,
            Column("consumer", String(64), primary_key=True),
            Column("event_id", String(36), primary_key=True),
            Column("event_type", String(64), nullable=False),
            Column("processed_at", UTCDateTime, nullable=False),
        )
        return cls(outbox, processed)

    @cached_property
    def _insert(self):
        # Inline: nothing reads the generated key back, which lets the insert
        # travel in a pipeline (see ``db.writing_together``). Built once, a
        # statement also works out its cache key once.
        return self.outbox.insert().inline()

    def record(self, transaction: Session | Connection, event: Event) -> Event:
        """Add an event to the outbox inside the caller's transaction."""
        # Straight on the session's connection: the row depends on nothing the
        # session holds, so flushing it first (autoflush) would only cost time.
        connection = transaction.connection() if isinstance(transaction, Session) else transaction
        connection.execute(
            self._insert,
            {
                "event_id": event.id,
                "type": event.type,
                "body": event.to_json(),
                "created_at": utcnow(),
                "attempts": 0,
            },
        )
        return event
