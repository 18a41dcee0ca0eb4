"""The events approvals consumes. Each handler applies its effect in the
consumer's session; the consumer records the event id in the same
transaction, so a redelivered event is skipped before it gets here."""

from __future__ import annotations

from procurement_common import events as ev

from .models import cutoffs
from .workflow import receive_cancellation, receive_submission

HANDLERS = {
    ev.REQUEST_SUBMITTED: receive_submission,
    ev.REQUEST_CANCELLED: receive_cancellation,
    ev.ACCOUNT_CHANGED: cutoffs.apply,
}
