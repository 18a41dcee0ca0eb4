"""Timed jobs of the approvals worker."""

from __future__ import annotations

import logging

from procurement_common.settings import Settings
from procurement_common.web import Database
from procurement_common.worker import TimedJob

from .workflow import Timing, nudge_idle_tasks

log = logging.getLogger(__name__)


def timed_jobs(settings: Settings, database: Database) -> list[TimedJob]:
    timing = Timing.from_settings(settings)

    def nudge() -> None:
        with database.sessions.begin() as session:
            nudged = nudge_idle_tasks(session, timing)
        if nudged:
            log.info("reminded or escalated %d idle approval tasks", nudged)

    return [
        TimedJob("approval-nudges", settings.get_float("APPROVAL_JOB_INTERVAL_SECONDS", 60), nudge)
    ]
