"""Timed jobs of the inventory worker: none yet; stock changes only by events and people."""

from __future__ import annotations

from procurement_common.settings import Settings
from procurement_common.web import Database
from procurement_common.worker import TimedJob


def timed_jobs(settings: Settings, database: Database) -> list[TimedJob]:
    return []
