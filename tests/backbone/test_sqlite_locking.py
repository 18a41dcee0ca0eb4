"""SQLite: writers queue for the lock up front and take turns; pollers that only read do not."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest
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


def _turn_is_free(database: Path) -> bool:
    fd = os.open(f"{database}-writers.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_a_writer_holds_its_turn_for_exactly_its_transaction(tmp_path):
    database = tmp_path / "turns.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            assert not _turn_is_free(database)
        assert _turn_is_free(database)

        with pytest.raises(RuntimeError), engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
            raise RuntimeError("rolled back")
        assert _turn_is_free(database)

        with reading(engine) as poll:
            poll.execute(text("SELECT count(*) FROM t"))
            assert _turn_is_free(database)
    finally:
        engine.dispose()


def test_writers_in_threads_and_engines_take_turns_and_lose_no_write(tmp_path):
    url = f"sqlite:///{tmp_path}/counter.db"
    engines = [make_engine(url), make_engine(url)]  # two engines stand for two processes
    with engines[0].begin() as connection:
        connection.execute(text("CREATE TABLE counter (n INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))

    def bump(engine):
        for _ in range(50):
            with engine.begin() as connection:
                n = connection.execute(text("SELECT n FROM counter")).scalar()
                connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    threads = [threading.Thread(target=bump, args=(engines[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        with engines[1].connect() as connection:
            assert connection.execute(text("SELECT n FROM counter")).scalar() == 400
    finally:
        for engine in engines:
            engine.dispose()


def test_the_write_ahead_log_is_copied_back_and_stops_growing(tmp_path):
    database = tmp_path / "log.db"
    engine = make_engine(f"sqlite:///{database}")
    page = "x" * 4000
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (body TEXT)"))
        for _ in range(1000):  # a page or more each: 4 MB of log without checkpoints
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (:body)"), {"body": page})
        with reading(engine) as poll:
            assert poll.execute(text("SELECT count(*) FROM t")).scalar() == 1000
        assert Path(f"{database}-wal").stat().st_size < 2_000_000
    finally:
        engine.dispose()
