"""What every service's reports share: the period they cover (``?since=``
and ``?until=``, whole UTC days), percentiles, and the ages of what waits."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validates_schema,
)

from .auth import Principal
from .db import utcnow

LONGEST = timedelta(days=366)
# Before it the office kept no records here; it keeps every date computable.
EARLIEST = date(2000, 1, 1)
# Upper bounds of the ageing columns; what waits longer is in the last one.
AGE_LIMITS = (timedelta(days=1), timedelta(days=3), timedelta(days=7))
# Each column's name in the JSON, and its heading on a page.
AGE_COLUMNS = {
    "under_1_day": "< 1 day",
    "1_to_3_days": "1–3 days",
    "3_to_7_days": "3–7 days",
    "over_7_days": "> 7 days",
}


@dataclass(frozen=True)
class Period:
    since: date
    until: date

    @classmethod
    def ending(cls, until: date, days: int) -> Period:
        return cls(until - timedelta(days=days - 1), until)

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


def _a_day_so_far(day: date) -> None:
    # Days to come would count as days nothing happened: a pace would look
    # slower than it is. Far outside the calendar a default start or the
    # day after the end cannot even be computed.
    today = utcnow().date()
    if day < EARLIEST:
        raise ValidationError(f"A day from {EARLIEST} on.")
    if day > today:
        raise ValidationError(f"A report covers days up to today ({today}, UTC).")


class PeriodQuery(Schema):
    """``since`` and ``until`` (``YYYY-MM-DD``, both included); by default the
    ``DEFAULT_DAYS`` ending today. Both load into one ``period``, beside
    whatever else a report's query adds."""

    DEFAULT_DAYS = 30

    class Meta:
        # A page's form and the API ignore what they do not know alike.
        unknown = EXCLUDE

    since = fields.Date(
        validate=_a_day_so_far,
        metadata={"description": f"First day (UTC) of the period, {EARLIEST} or later."},
    )
    until = fields.Date(
        validate=_a_day_so_far,
        metadata={
            "description": "Last day (UTC) of the period, today at most; today if not given."
        },
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
    def _period(self, data, **_kwargs) -> dict:
        until = data.pop("until", None) or utcnow().date()
        period = Period.ending(until, self.DEFAULT_DAYS)
        if since := data.pop("since", None):
            period = Period(since, until)
        return {**data, "period": period}


class NotYourDepartment(Exception):
    """A leader asked for another department's figures (HTTP 403)."""


def department_in_view(principal: Principal, asked: str | None, *see_all: str) -> str | None:
    """Whose figures a report shows: ``None`` for every department.

    Those holding a ``see_all`` role see the department asked for, or all;
    anyone else (a leader) her own department, and no other.
    """
    if principal.has_any(*see_all):
        return asked
    if asked in (None, principal.department):
        return principal.department
    raise NotYourDepartment("You may only see your own department's figures.")


def hours(span: timedelta) -> float:
    return round(span.total_seconds() / 3600, 1)


def median_hours(spans: list[timedelta]) -> float | None:
    return hours(statistics.median(spans)) if spans else None


def p90_hours(spans: list[timedelta]) -> float | None:
    """The nearest-rank 90th percentile: nine in ten took no longer."""
    if not spans:
        return None
    return hours(sorted(spans)[math.ceil(0.9 * len(spans)) - 1])


def age_column(age: timedelta) -> str:
    for limit, column in zip(AGE_LIMITS, AGE_COLUMNS, strict=False):
        if age < limit:
            return column
    return list(AGE_COLUMNS)[-1]


@dataclass
class Ages:
    """What waits, counted by age, with the oldest."""

    columns: dict[str, int]
    oldest_hours: float | None

    @classmethod
    def of(cls, ages: list[timedelta]) -> Ages:
        columns = dict.fromkeys(AGE_COLUMNS, 0)
        for age in ages:
            columns[age_column(age)] += 1
        return cls(columns, hours(max(ages)) if ages else None)

    def as_dict(self) -> dict:
        return {
            "total": sum(self.columns.values()),
            **self.columns,
            "oldest_hours": self.oldest_hours,
        }


AgesSchema = Schema.from_dict(
    {
        "total": fields.Integer(),
        **{column: fields.Integer() for column in AGE_COLUMNS},
        "oldest_hours": fields.Float(allow_none=True),
    },
    name="Ages",
)
