"""What other services' events do to the stock.

The consumer has already recorded the event id in the same transaction, so
a duplicate never reaches these; each handler applies its effect in the
given session and leaves the commit to the consumer. Late and out-of-order
events are absorbed by the state a reservation holds (see ``Stockroom``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from procurement_common import events as ev
from procurement_common.events import Event

from . import people
from .models import cutoffs
from .stock import Status
from .stockroom import Stockroom


def account_changed(session: Session, event: Event) -> None:
    """Her old tokens stop counting, and the pages call her by her name."""
    cutoffs.apply(session, event)
    people.note(session, event.load_data())


def approval_approved(session: Session, event: Event) -> None:
    data = event.load_data()
    with Stockroom(session, by=data["by"]) as room:
        room.reserve_for_approval(data, approved_at=event.occurred_at)


def request_cancelled(session: Session, event: Event) -> None:
    with Stockroom(session, by=event.data["by"]) as room:
        room.close(event.data["request_id"], Status.CANCELLED)


def request_received(session: Session, event: Event) -> None:
    with Stockroom(session, by=event.data["by"]) as room:
        room.close(event.data["request_id"], Status.RECEIVED)


HANDLERS = {
    ev.APPROVAL_APPROVED: approval_approved,
    ev.REQUEST_CANCELLED: request_cancelled,
    ev.REQUEST_RECEIVED: request_received,
    ev.ACCOUNT_CHANGED: account_changed,
}
