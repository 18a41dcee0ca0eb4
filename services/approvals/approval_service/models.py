"""What the approvals service stores.

Decisions, policy versions, delegations and the task log are only ever
appended to. A task's status changes as it is decided, escalated or closed,
and every such change is appended to the task log with who and when.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from procurement_common.db import TYPE_ANNOTATION_MAP, new_id, new_metadata, utcnow
from procurement_common.outbox import MessagingTables
from procurement_common.revocation import TokenCutoffs

from . import rules


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = {
        **TYPE_ANNOTATION_MAP,
        list[Any]: JSON,
        list[str]: JSON,
    }


messaging = MessagingTables.define(Base.metadata)
cutoffs = TokenCutoffs.define(Base.metadata)


class Policy(Base):
    """One version of the approval policy; the newest one set before a
    request was submitted is the one that routes it."""

    __tablename__ = "policies"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    director_threshold: Mapped[Decimal]
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def rules(self) -> rules.Policy:
        return rules.Policy(self.version, self.director_threshold, self.set_by, self.set_at)


class KnownApprover(Base):
    """The leaders seen in events (department heads, the director), leaders
    who signed in to delegate, and anyone whose account changed: who may
    receive a delegation or a task, unless she has left or does not lead
    (``account.changed``)."""

    __tablename__ = "known_approvers"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    # What pages call her. Unknown for one seen only in events sent before
    # names were carried, until her account changes or she signs in here.
    name: Mapped[str | None] = mapped_column(String(100))
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    # Set while she no longer works here or no longer leads.
    left_at: Mapped[datetime | None]
    # The time of the last account change applied, so that a late one is ignored.
    account_changed_at: Mapped[datetime | None]


class Cancellation(Base):
    """A withdrawn request; kept so that a submission arriving after its
    cancellation creates no live task."""

    __tablename__ = "cancellations"

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class ApprovalRequest(Base):
    """One round of a request as it was submitted, and the route it takes."""

    __tablename__ = "approval_requests"
    __table_args__ = (UniqueConstraint("request_id", "round"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(String(36), index=True)
    round: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requester: Mapped[str] = mapped_column(String(64))
    requester_name: Mapped[str] = mapped_column(String(100))
    department: Mapped[str] = mapped_column(String(16))
    department_name: Mapped[str] = mapped_column(String(100))
    department_head: Mapped[str | None] = mapped_column(String(64))
    director: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(16))
    leader_assigned: Mapped[bool]
    assigned_by: Mapped[str | None] = mapped_column(String(64))
    needed_by: Mapped[date | None]
    submitted_at: Mapped[datetime]
    total: Mapped[Decimal]
    # The policy in force at submission, and the approvers it gave, level 1 first.
    policy_version: Mapped[int]
    director_threshold: Mapped[Decimal]
    route: Mapped[list[str]]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Read-only: a round, its lines, its tasks and their log are inserted
    # straight to their tables (see workflow), and the unit of work has fewer
    # relationships to walk on every flush.
    lines: Mapped[list[RequestLine]] = relationship(order_by="RequestLine.position", viewonly=True)
    tasks: Mapped[list[Task]] = relationship(
        back_populates="approval", order_by="Task.created_at", viewonly=True
    )


class RequestLine(Base):
    __tablename__ = "request_lines"
    __table_args__ = (UniqueConstraint("approval_id", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    approval_id: Mapped[str] = mapped_column(ForeignKey("approval_requests.id"))
    position: Mapped[int]
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(32))
    unit_cost: Mapped[Decimal]
    quantity: Mapped[int]


class Task(Base):
    """One approver's turn on one round of a request."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_approver_status", "approver", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    approval_id: Mapped[str] = mapped_column(ForeignKey("approval_requests.id"), index=True)
    request_id: Mapped[str] = mapped_column(String(36), index=True)
    round: Mapped[int]
    level: Mapped[int]
    approver: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=rules.TaskStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when an idle task was handed up: the task it came from.
    escalated_from: Mapped[str | None] = mapped_column(ForeignKey("tasks.id"))

    # Read-only, as the round's relationships are; decisions are inserted
    # straight to their table too.
    approval: Mapped[ApprovalRequest] = relationship(back_populates="tasks", viewonly=True)
    decision: Mapped[DecisionRecord | None] = relationship(back_populates="task", viewonly=True)
    log: Mapped[list[TaskLogEntry]] = relationship(order_by="TaskLogEntry.id", viewonly=True)


class DecisionRecord(Base):
    """A decision, as taken: never changed. One per task."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"), unique=True)
    request_id: Mapped[str] = mapped_column(String(36), index=True)
    round: Mapped[int]
    level: Mapped[int]
    decision: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(64))
    acting_for: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")
    # [{"sku", "quantity", "allowed", "approved_quantity"}] for an approval.
    lines: Mapped[list[Any]] = mapped_column(default=list)
    policy_version: Mapped[int]

    task: Mapped[Task] = relationship(back_populates="decision", viewonly=True)

    def granted(self) -> dict[str, int] | None:
        if self.decision != rules.Decision.APPROVE:
            return None
        return {line["sku"]: line["approved_quantity"] for line in self.lines}


class TaskLogEntry(Base):
    """Everything that happened to a task: created, reminded, escalated,
    decided, closed."""

    __tablename__ = "task_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class Delegation(Base):
    """A leader's cover for a range of days, first to last day inclusive (UTC)."""

    __tablename__ = "delegations"
    __table_args__ = (Index("ix_delegations_delegate", "delegate", "starts", "ends"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    leader: Mapped[str] = mapped_column(String(64), index=True)
    delegate: Mapped[str] = mapped_column(String(64))
    starts: Mapped[date]
    ends: Mapped[date]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Ended early by the leader (or an administrator): from then on it gives nothing.
    ended_by: Mapped[str | None] = mapped_column(String(64))
    ended_at: Mapped[datetime | None]

    def span(self) -> rules.Span:
        return rules.Span(self.starts, self.ends)
