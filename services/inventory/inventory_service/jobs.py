"""Timed jobs of the inventory worker."""

from __future__ import annotations

from procurement_common.db import reading
from procurement_common.settings import Settings
from procurement_common.web import Database
from procurement_common.worker import TimedJob

from .stockroom import announce_availability, any_moved_since_announced


def timed_jobs(settings: Settings, database: Database) -> list[TimedJob]:
    def announce() -> None:
        # Read first, outside a writing transaction: on SQLite that would take
        # the file's write lock every second, mostly for nothing.
        with reading(database.engine) as connection:
            if not any_moved_since_announced(connection):
                return
        with database.sessions.begin() as session:
            announce_availability(session)

    return [
        TimedJob(
            "availability-announcements",
            settings.get_float("AVAILABILITY_ANNOUNCE_SECONDS", 1.0),
            announce,
        )
    ]
