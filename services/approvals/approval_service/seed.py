"""Demo data: the demo policy and the demo leaders (never loaded in production)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement_common.settings import Settings

from .models import Policy
from .workflow import know_approvers

DEMO_LEADERS = {"li.na": "Li Na", "zhao.lei": "Zhao Lei", "wang.fang": "Wang Fang"}


def load_demo_data(session: Session, settings: Settings) -> bool:
    if session.scalar(select(Policy).limit(1)) is not None:
        return False
    session.add(Policy(version=1, director_threshold=Decimal("1000.00"), set_by="seed"))
    # Known before their first request arrives, so delegation works from the start.
    know_approvers(session, DEMO_LEADERS)
    return True
