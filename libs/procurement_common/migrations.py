"""Alembic, run from code: every process upgrades to head when it starts.

Web and worker processes start together, so the upgrade holds a lock: a
PostgreSQL advisory lock, or a file lock beside the SQLite file.
"""

from __future__ import annotations

import contextlib
import fcntl
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, MetaData, text

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only when a migration runs: web workers that start at
# head (gunicorn migrates before it forks them) never pay its memory.


def alembic_config(script_location: Path, engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, script_location: Path) -> None:
    from alembic import command

    with _migration_lock(engine):
        command.upgrade(alembic_config(script_location, engine), "head")


@contextlib.contextmanager
def _migration_lock(engine: Engine):
    if engine.dialect.name == "postgresql":
        key = zlib.crc32(str(engine.url.database).encode()) & 0x7FFFFFFF
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()
    elif engine.url.database and engine.url.database != ":memory:":
        lock_path = Path(engine.url.database).with_suffix(".migrate.lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    else:
        yield


def run_env(target_metadata: MetaData) -> None:
    """The body of each service's ``migrations/env.py``."""
    from alembic import context

    engine: Engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=engine.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


def index_unsent_outbox_rows() -> None:
    """Index the outbox on id for unsent rows only.

    The relay asks for unsent rows in id order many times a second. Indexed
    on (sent_at, id), every row had an entry, marking a row sent added
    another, and each poll stepped over the entries of every row sent since
    the last vacuum (0.3-0.4 ms a poll after a few thousand events, against
    0.04). Indexed on id where sent_at is null, marking a row adds no entry
    and a poll walks the index in the order it wants.
    """
    from alembic import op

    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_unsent")
        batch.create_index(
            "ix_outbox_unsent",
            ["id"],
            sqlite_where=text("sent_at IS NULL"),
            postgresql_where=text("sent_at IS NULL"),
        )


def index_all_outbox_rows() -> None:
    """Undo ``index_unsent_outbox_rows``."""
    from alembic import op

    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_unsent")
        batch.create_index("ix_outbox_unsent", ["sent_at", "id"])


def create_token_cutoffs() -> None:
    """Add the table of ``revocation.TokenCutoffs``, alike in the three services."""
    import sqlalchemy as sa
    from alembic import op

    from .db import UTCDateTime

    op.create_table(
        "token_cutoffs",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("not_before", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_token_cutoffs")),
    )


def drop_token_cutoffs() -> None:
    """Undo ``create_token_cutoffs``."""
    from alembic import op

    op.drop_table("token_cutoffs")
