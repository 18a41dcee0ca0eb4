"""The period a report covers: ``?since=`` and ``?until=``, whole UTC days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validates_schema

from .db import utcnow

LONGEST = timedelta(days=366)


@dataclass(frozen=True)
class Period:
    since: date
    until: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, time(), UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the period: ``until`` is a whole day too."""
        return datetime.combine(self.until + timedelta(days=1), time(), UTC)

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1


class PeriodQuery(Schema):
    """``since`` and ``until`` (``YYYY-MM-DD``, both included); by default the
    ``DEFAULT_DAYS`` ending today. Loads into a ``Period``."""

    DEFAULT_DAYS = 30

    since = fields.Date(metadata={"description": "First day (UTC) of the period."})
    until = fields.Date(
        metadata={"description": "Last day (UTC) of the period; today if not given."}
    )

    @pre_load
    def _blank_is_not_given(self, data, **_kwargs):
        # A GET form sends its empty date fields too.
        return {key: value for key, value in data.items() if value != ""}

    @validates_schema
    def _a_forward_span_of_at_most_a_year(self, data, **_kwargs):
        since, until = data.get("since"), data.get("until") or utcnow().date()
        if since is None:
            return
        if since > until:
            raise ValidationError("The period starts after it ends.", field_name="since")
        if until - since >= LONGEST:
            raise ValidationError("A period is at most 366 days.", field_name="since")

    @post_load
    def _period(self, data, **_kwargs) -> Period:
        until = data.get("until") or utcnow().date()
        since = data.get("since") or until - timedelta(days=self.DEFAULT_DAYS - 1)
        return Period(since, until)
