"""SQLite: writers queue for the lock up front; pollers that only read do not."""

from __future__ import annotations

import time

from sqlalchemy import text

from procurement_common.db import make_engine, reading


def test_a_read_only_poll_does_not_wait_for_a_writer_holding_the_lock(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/locks.db")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE outbox (id INTEGER PRIMARY KEY)"))
    writer = engine.connect()
    try:
        writer.execute(text("INSERT INTO outbox DEFAULT VALUES"))  # holds the write lock
        started = time.monotonic()
        with reading(engine) as poll:
            assert poll.execute(text("SELECT count(*) FROM outbox")).scalar() == 0
        assert time.monotonic() - started < 1.0
    finally:
        writer.rollback()
        writer.close()
        engine.dispose()
