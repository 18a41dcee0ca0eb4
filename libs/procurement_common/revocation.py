"""A token issued before its holder's account changed no longer counts, in any service.

A token is signed once and then checked by each service on its own, so
nothing in it can say that its holder has left, lost a role, moved to
another department or had her password reset. The requests service, which
owns the accounts, notes the moment of each such change in the change's own
transaction and announces it as ``account.changed``; the other two services
note it when the event arrives. Each web process reads the notes again at
most once a second (``Cutoffs``), so a check costs a dictionary look-up and
a changed account's old tokens stop working within about a second of the
change reaching the service.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy import Column, Connection, Engine, String, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .db import UTCDateTime, reading
from .events import Event

TABLE = "token_cutoffs"


@dataclass(frozen=True)
class TokenCutoffs:
    """Per person, the moment before which her tokens are refused."""

    table: Table

    @classmethod
    def define(cls, metadata) -> TokenCutoffs:
        return cls(
            Table(
                TABLE,
                metadata,
                Column("username", String(64), primary_key=True),
                Column("not_before", UTCDateTime, nullable=False),
            )
        )

    def note(self, transaction: Session | Connection, username: str, at: datetime) -> None:
        """Refuse ``username``'s tokens issued before ``at``, in the caller's transaction.

        The later of two moments is kept: announcements may arrive out of order.
        """
        connection = transaction.connection() if isinstance(transaction, Session) else transaction
        connection.execute(self._upsert[connection.dialect.name], {"username": username, "at": at})

    def apply(self, session: Session, event: Event) -> None:
        """The handler of ``account.changed`` in the services that do not own accounts."""
        data = event.load_data()
        self.note(session, data["username"], data["changed_at"])

    @cached_property
    def _upsert(self) -> dict:
        # Built once per dialect; both speak INSERT … ON CONFLICT DO UPDATE … WHERE.
        statements = {}
        for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite)):
            insert = dialect.insert(self.table).values(
                username=bindparam("username"), not_before=bindparam("at")
            )
            statements[name] = insert.on_conflict_do_update(
                index_elements=[self.table.c.username],
                set_={"not_before": insert.excluded.not_before},
                where=self.table.c.not_before < insert.excluded.not_before,
            )
        return statements

    def reader(self, engine: Engine) -> Cutoffs:
        return Cutoffs(engine, self.table)


class Cutoffs:
    """One process's copy of the cutoffs, read again when a second old.

    All of them are read, one short row per person whose account ever
    changed: a service cannot tell which are too old to matter, because the
    tokens' lifetime is the requests service's setting. While one thread
    reads, the others go on with the copy they have rather than wait for it.
    """

    FRESH_FOR_SECONDS = 1.0

    def __init__(
        self,
        engine: Engine,
        table: Table,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._engine = engine
        self._table = table
        self._clock = clock
        self._known: dict[str, float] = {}
        self._read_at = -float("inf")
        self._reading = threading.Lock()

    def refuses(self, username: str, issued_at: float) -> bool:
        """Whether a token of ``username`` issued at ``issued_at`` (POSIX seconds) is void."""
        if self._clock() - self._read_at >= self.FRESH_FOR_SECONDS:
            self._read_again()
        cutoff = self._known.get(username)
        return cutoff is not None and issued_at < cutoff

    def _read_again(self) -> None:
        # Only the first read is waited for: before it, the process knows of no cutoff.
        if not self._reading.acquire(blocking=self._read_at == -float("inf")):
            return
        try:
            if self._clock() - self._read_at < self.FRESH_FOR_SECONDS:
                return  # another thread read them while this one waited
            statement = select(self._table.c.username, self._table.c.not_before)
            with reading(self._engine) as connection:
                rows = connection.execute(statement).all()
            self._known = {username: at.timestamp() for username, at in rows}
            self._read_at = self._clock()
        finally:
            self._reading.release()
