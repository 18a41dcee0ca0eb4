"""How fast each item goes out and how long its stock lasts at that pace:
the rules of the usage report, in plain Python. Its period and whose
figures a reader sees are what every service's reports share, in
``procurement_common.reporting``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from procurement_common.auth import ADMIN, CLERK, DIRECTOR, LEADER

# A leader reads her own department's report; these read every department's.
SEE_EVERY_DEPARTMENT = (CLERK, DIRECTOR, ADMIN)
READERS = (LEADER, *SEE_EVERY_DEPARTMENT)

ONE_DECIMAL = Decimal("0.1")
CENT = Decimal("0.01")
# The pace of hand-outs is read over this many days, unless a report asks for
# another period: a season's needs, not one busy week's.
PACE_DAYS = 90


@dataclass(frozen=True)
class Pace:
    """How much of one item went out over a period, against what is available now."""

    sku: str
    handed_out: int
    days: int
    available: int

    @property
    def per_30_days(self) -> Decimal:
        rate = Decimal(self.handed_out * 30) / self.days
        return rate.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)

    @property
    def cover(self) -> Fraction | None:
        """Days the available stock lasts at this pace; ``None`` when nothing went out."""
        if not self.handed_out:
            return None
        return Fraction(self.available * self.days, self.handed_out)

    def expected_in(self, days: int) -> int:
        """What goes out in ``days`` more at this pace, rounded up: better a unit too many."""
        return math.ceil(Fraction(self.handed_out * days, self.days))

    @property
    def days_of_cover(self) -> int | None:
        """Whole days, rounded down: the stock lasts at least this long."""
        cover = self.cover
        return None if cover is None else math.floor(cover)


def unit_cost(value: Decimal, quantity: int) -> Decimal:
    """What one unit cost on average, to the cent, when units went out at different prices."""
    return (value / quantity).quantize(CENT, rounding=ROUND_HALF_UP)


def fewest_days_of_cover_first(paces: Iterable[Pace]) -> list[Pace]:
    """The items that run out soonest first; those nothing went out of last, by SKU."""
    return sorted(paces, key=lambda pace: (pace.cover is None, pace.cover or 0, pace.sku))
