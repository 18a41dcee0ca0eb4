"""Engines and sessions that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection, DateTime, Engine, MetaData, Numeric, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both databases (SQLite stores naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use procurement_common.db.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


# Every service's declarative base maps these Python types the same way:
# aware UTC datetimes, and money as a fixed-point decimal.
TYPE_ANNOTATION_MAP = {datetime: UTCDateTime, Decimal: Numeric(12, 2)}


def make_engine(database_url: str, **kwargs) -> Engine:
    """Create an engine; nothing connects until it is first used.

    SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` for every
    transaction: several processes write one file, and a deferred transaction
    that later wants to write fails with "database is locked" instead of
    waiting its turn.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        connect_args = {"timeout": BUSY_TIMEOUT}
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            turns = WriterTurns(f"{url.database}-writers.lock")
            connect_args["factory"] = turns.connection_class()
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    engine = create_engine(url, **kwargs)
    event.listen(engine, "checkout", _replace_if_server_hung_up)
    return engine


def _replace_if_server_hung_up(dbapi_connection, _record, _proxy):
    """Keep a connection the server has closed out of the caller's hands.

    A server that restarts, or ends an idle session, tells the client and
    closes the socket, so a pooled connection that has anything to read
    while idle is one it has given up on (or, rarely, one with a message
    nobody asked for: replacing that too is harmless). Looking costs one
    system call; ``pool_pre_ping`` would cost a round trip on every
    checkout, about 0.3 ms of two processes' time on the benchmark machine.
    A connection lost without a word (a network cut) is not seen here: the
    statement fails, the pool is renewed, and callers retry as they do for
    any outage.
    """
    if not dbapi_connection.closed:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        if not poller.poll(0):
            return
    # The pool then opens a fresh connection in its place.
    raise DisconnectionError("the server closed this connection while it was idle")


BUSY_TIMEOUT = 30.0  # seconds a writer waits for its turn before "database is locked"
# Commits per process between checkpoints: a create writes about a dozen
# pages, so the log stays near the size at which SQLite would checkpoint.
CHECKPOINT_EVERY = 100


def _sqlite_on_connect(dbapi_connection, _record):
    # Take transaction control away from pysqlite so that BEGIN is ours.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    if isinstance(dbapi_connection, _TurnTaking):
        # Its commits checkpoint after handing over the turn: see ``WriterTurns.committed``.
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _sqlite_on_begin(connection):
    # A reader that never writes needs no write lock: see ``reading()``.
    if connection.get_execution_options().get(READ_ONLY, False):
        connection.exec_driver_sql("BEGIN")
        return
    dbapi_connection = connection.connection.dbapi_connection
    if isinstance(dbapi_connection, _TurnTaking):
        dbapi_connection.take_turn()
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        if isinstance(dbapi_connection, _TurnTaking):
            dbapi_connection.end_turn()
        raise


class _TurnTaking:
    """Mixed into a pysqlite connection: it waits for its writer's turn (see ``WriterTurns``)."""

    turns: WriterTurns
    _turn: int | None = None  # the advisory lock's descriptor while this one writes

    def take_turn(self) -> None:
        self._turn = self.turns.take()

    def end_turn(self) -> None:
        if self._turn is not None:
            self.turns.give_back(self._turn)
            self._turn = None

    # The turn ends only once SQLite has let go of its lock.
    def commit(self):
        try:
            super().commit()
        finally:
            self.end_turn()
        self.turns.committed(self)

    def rollback(self):
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self):
        try:
            super().close()
        finally:
            self.end_turn()


class WriterTurns:
    """Writers of one SQLite file take turns, handing over without delay.

    SQLite makes a writer that finds the file locked sleep and try again, in
    naps that grow to 100 ms, so under load the lock often sits free while
    every writer naps, and a few writers wait far longer than the rest. Here
    a writer first takes its process's lock (threads queue on it and are woken
    as it is released), then an advisory lock on a file beside the database,
    shared with the other processes, retried in naps of at most 2 ms. SQLite's
    own locking stays in charge: a writer that does not get its turn within
    the busy timeout goes on to BEGIN IMMEDIATE and SQLite's busy handler.
    """

    def __init__(self, path: str):
        self.path = path
        self.in_process = threading.Lock()
        self.commits = 0

    def connection_class(self) -> type[_TurnTaking]:
        # Imported only for SQLite: a process on PostgreSQL need not load it.
        import sqlite3

        return type("TurnTakingConnection", (_TurnTaking, sqlite3.Connection), {"turns": self})

    def take(self) -> int | None:
        """Wait for the turn; the file descriptor to give back, or None if it timed out."""
        deadline = time.monotonic() + BUSY_TIMEOUT
        if not self.in_process.acquire(timeout=BUSY_TIMEOUT):
            return None
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        nap = 0.0001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    self.in_process.release()
                    return None
                time.sleep(nap)
                nap = min(nap * 2, 0.002)

    def give_back(self, fd: int) -> None:
        os.close(fd)  # closing the descriptor releases its advisory lock
        self.in_process.release()

    def committed(self, connection: _TurnTaking) -> None:
        """Copy the write-ahead log back into the database now and then.

        SQLite does it itself inside the commit that takes the log past 1000
        pages, which here is while that writer still holds the turn, so every
        other writer waits for the copying too. A passive checkpoint after
        the turn is handed over lets them go on meanwhile (the ratio of a
        create to the floor went from 0.58 to 0.68 on SQLite).
        """
        self.commits += 1  # a count lost to a race between threads only delays one
        if self.commits % CHECKPOINT_EVERY == 0:
            # Not fatal if it cannot finish: the next one copies what is left.
            with contextlib.suppress(connection.Error):
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)")


READ_ONLY = "procurement_read_only"


def reading(engine: Engine):
    """A connection for a single read; it takes no write lock and opens no transaction.

    For polls in hot loops (the relay's, readiness checks) and look-ups
    before a write. On SQLite every other transaction begins IMMEDIATE, and
    a poll that did so many times a second would hold up the writers it
    shares the file with. On PostgreSQL the statement runs in autocommit: a
    transaction around one SELECT would cost a BEGIN and a ROLLBACK, two
    round trips more than the SELECT itself. (On SQLite it stays in a
    deferred transaction: SQLAlchemy's autocommit there would undo the
    transaction control ``make_engine`` takes from pysqlite.)
    """
    options = {READ_ONLY: True}
    if not is_sqlite(engine):
        options["isolation_level"] = "AUTOCOMMIT"
    return engine.connect().execution_options(**options)


def reading_before_writing(session: Session):
    """A connection for the reads a unit of work does before its first write.

    On SQLite every writing transaction holds the file's only write lock from
    its first statement: reads done there keep every other writer waiting,
    so they go in a read transaction of their own. Elsewhere they are part of
    the session's transaction, which costs nothing extra.
    """
    if is_sqlite(session.get_bind()):
        return reading(session.get_bind())
    return contextlib.nullcontext(session.connection())


def writing_together(session: Session):
    """The session's connection, for writes that need no answer.

    On PostgreSQL they travel as one pipeline: the server gets them all, and
    the client waits for its answer, once instead of once per statement (a
    round trip costs both processes more than a small INSERT does). So
    nothing inside may read a result, not even a generated key: a one-row
    INSERT into a table whose key the database generates must be
    ``.inline()``. A failing statement raises when the block ends, as the
    same SQLAlchemy exception it would have raised on its own. Elsewhere the
    statements simply go one after another.

    Commit after the block: a commit ends the session's hold on the
    connection, which must not be in a pipeline by then.
    """
    connection = session.connection()
    if is_sqlite(connection.engine):
        return contextlib.nullcontext(connection)
    return _pipelined(connection)


@contextlib.contextmanager
def _pipelined(connection: Connection) -> Iterator[Connection]:
    driver_connection = connection.connection.driver_connection
    dialect = connection.dialect
    try:
        with driver_connection.pipeline():
            yield connection
    except dialect.loaded_dbapi.Error as exc:
        # Raised by the pipeline's end, outside SQLAlchemy's execute: make it
        # what SQLAlchemy would have raised, and drop a connection that died.
        invalidated = dialect.is_disconnect(exc, driver_connection, None)
        if invalidated:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            None,
            None,
            exc,
            dialect.loaded_dbapi.Error,
            connection_invalidated=invalidated,
            dialect=dialect,
        ) from exc


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
