"""PostgreSQL: a pooled connection the server has ended is never handed out, a
read poll opens no transaction, and writes sent together fail as SQLAlchemy's own."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from procurement_common.db import make_engine, reading, writing_together

from support import PG_ADMIN_DSN, poll


@pytest.fixture
def engine(postgres_databases):
    engine = make_engine(postgres_databases.create(), pool_size=2)
    yield engine
    engine.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_the_server_ended_is_replaced_before_anyone_uses_it(engine):
    pid = _backend_pid(engine)  # now idle in the pool
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    def hung_up_on() -> bool:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            gone = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
            return gone.fetchone()[0] == 0

    poll(hung_up_on, timeout=10, message="the server to end the session")
    with engine.connect() as connection:  # would raise OperationalError if handed the dead one
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid


def test_a_read_poll_runs_outside_any_transaction(engine):
    with reading(engine) as connection:
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
        status = connection.connection.driver_connection.info.transaction_status
        assert status == psycopg.pq.TransactionStatus.IDLE  # no BEGIN, so no ROLLBACK to send
    with engine.connect() as connection:  # and the next user of the connection has one again
        connection.execute(text("SELECT 1"))
        status = connection.connection.driver_connection.info.transaction_status
        assert status == psycopg.pq.TransactionStatus.INTRANS


def test_writes_sent_together_fail_as_sqlalchemy_errors_and_leave_the_session_usable(engine):
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE keys (k TEXT PRIMARY KEY)"))
    insert_key = text("INSERT INTO keys VALUES (:k)")
    with Session(engine) as session:
        with pytest.raises(IntegrityError), writing_together(session) as connection:
            connection.execute(insert_key, {"k": "a"})
            connection.execute(insert_key, {"k": "a"})  # refused only when the block ends
        session.rollback()
        with writing_together(session) as connection:
            connection.execute(insert_key, {"k": "b"})
            connection.execute(insert_key, {"k": "c"})
        session.commit()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT k FROM keys ORDER BY k")).scalars().all() == [
            "b",
            "c",
        ]
