"""The events approvals consumes. Each handler applies its effect in the
consumer's session; the consumer records the event id in the same
transaction, so a redelivered event is skipped before it gets here."""

from __future__ import annotations

from sqlalchemy.orm import Session

from procurement_common import events as ev
from procurement_common.events import Event

from .models import cutoffs
from .workflow import (
    end_delegations_to_leaver,
    hand_up_tasks_of,
    note_account_change,
    receive_cancellation,
    receive_submission,
)


def account_changed(session: Session, event: Event) -> None:
    """Her old tokens stop counting; if she left, what waits for her goes up
    a rung, the delegations that make her a cover end, and nobody may choose
    her as a delegate while she is gone."""
    cutoffs.apply(session, event)
    note_account_change(session, event.load_data())
    if not event.data["active"]:
        username = event.data["username"]
        who = event.data.get("name") or username
        hand_up_tasks_of(session, username, f"{who} no longer works here")
        end_delegations_to_leaver(session, username)


HANDLERS = {
    ev.REQUEST_SUBMITTED: receive_submission,
    ev.REQUEST_CANCELLED: receive_cancellation,
    ev.ACCOUNT_CHANGED: account_changed,
}
