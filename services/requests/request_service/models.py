"""What the requests service stores: people, departments, the catalog copy,
supply requests with their lines and history, idempotency keys, standing
orders and the history of changes to people and departments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    insert,
    literal,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from procurement_common.db import TYPE_ANNOTATION_MAP, new_id, new_metadata, utcnow
from procurement_common.outbox import MessagingTables
from procurement_common.revocation import TokenCutoffs

from .domain import Status


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


messaging = MessagingTables.define(Base.metadata)
cutoffs = TokenCutoffs.define(Base.metadata)


class Department(Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    head: Mapped[str | None] = mapped_column(String(64))


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    roles_text: Mapped[str] = mapped_column("roles", String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]

    department: Mapped[Department] = relationship()

    @property
    def roles(self) -> frozenset[str]:
        return roles_of(self.roles_text)

    @classmethod
    def with_role(cls, role: str) -> ColumnElement[bool]:
        """SQL for "has ``role``": a whole entry of the list, never part of one."""
        return (literal(",") + cls.roles_text + literal(",")).contains(f",{role},", autoescape=True)


def roles_of(roles_text: str | None) -> frozenset[str]:
    """The roles in a ``users.roles`` value (comma-separated); none for no value."""
    return frozenset(filter(None, (roles_text or "").split(",")))


class CatalogItem(Base):
    """Our copy of inventory's items, kept by ``item.changed`` events."""

    __tablename__ = "catalog_items"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(64))
    unit_cost: Mapped[Decimal]
    available: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # The time of the event this row reflects: an older event never overwrites it.
    changed_at: Mapped[datetime]


class SupplyRequest(Base):
    __tablename__ = "supply_requests"
    __table_args__ = (Index("ix_supply_requests_requester", "requester", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    requester: Mapped[str] = mapped_column(String(64))
    requester_name: Mapped[str] = mapped_column(String(100))
    department: Mapped[str] = mapped_column(String(16), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    leader_assigned: Mapped[bool] = mapped_column(default=False)
    assigned_by: Mapped[str | None] = mapped_column(String(64))
    needed_by: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default=Status.SUBMITTED)
    round: Mapped[int] = mapped_column(default=1)
    total: Mapped[Decimal]
    pending_approver: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[RequestLine]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestLine.position"
    )
    history: Mapped[list[HistoryEntry]] = relationship(
        back_populates="request", order_by="HistoryEntry.id"
    )


class RequestLine(Base):
    __tablename__ = "request_lines"
    __table_args__ = (UniqueConstraint("request_id", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("supply_requests.id"))
    position: Mapped[int]
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(32))
    unit_cost: Mapped[Decimal]
    quantity: Mapped[int]
    approved_quantity: Mapped[int | None]
    reserved_quantity: Mapped[int] = mapped_column(default=0)
    issued_quantity: Mapped[int] = mapped_column(default=0)

    request: Mapped[SupplyRequest] = relationship(back_populates="lines")


class HistoryEntry(Base):
    """The audit history of a request: appended, never changed."""

    __tablename__ = "request_history"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("supply_requests.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(String(64))
    acting_for: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    round: Mapped[int] = mapped_column(default=1)
    event_id: Mapped[str | None] = mapped_column(String(36))

    request: Mapped[SupplyRequest] = relationship(back_populates="history")


# The history is only ever appended to, by the create and by the worker's
# handlers. Inline: nothing reads an entry's key back, so the INSERT can
# travel in a pipeline (see ``db.writing_together``).
APPEND_HISTORY = insert(HistoryEntry.__table__).inline()


class IdempotencyKey(Base):
    """The first answer to a POST with an ``Idempotency-Key``, for its retries."""

    __tablename__ = "idempotency_keys"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StandingOrder(Base):
    """A request asked for again on a schedule (``standing.py`` has its rules).

    What to ask for is kept as it was when the order was made; each due day
    it is submitted afresh, checked against the catalog of that day.
    """

    __tablename__ = "standing_orders"
    __table_args__ = (Index("ix_standing_orders_due", "active", "next_on"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    requester: Mapped[str] = mapped_column(String(64), index=True)
    requester_name: Mapped[str] = mapped_column(String(100))
    department: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(16))
    # [{"sku", "quantity"}], as a request's input takes them.
    lines: Mapped[list[dict]] = mapped_column(JSON)
    every: Mapped[str] = mapped_column(String(16))
    day_of_month: Mapped[int]
    next_on: Mapped[date]
    active: Mapped[bool] = mapped_column(default=True)
    created_from: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]
    stopped_by: Mapped[str | None] = mapped_column(String(64))
    last_request_id: Mapped[str | None] = mapped_column(String(36))
    # Why the last due day made no request (an item gone from the catalog).
    last_refusal: Mapped[str | None] = mapped_column(Text)

    history: Mapped[list[StandingOrderEntry]] = relationship(order_by="StandingOrderEntry.id")


class StandingOrderEntry(Base):
    """What happened to a standing order: made, each due day, stopped. Appended, never changed."""

    __tablename__ = "standing_order_history"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("standing_orders.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # made, submitted, refused, stopped
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(String(64))
    due_on: Mapped[date | None]
    request_id: Mapped[str | None] = mapped_column(String(36))
    note: Mapped[str | None] = mapped_column(Text)


class AccountChange(Base):
    """Every change an administrator (or the command line) made to people and
    departments: appended, never changed. Passwords appear only as "set"."""

    __tablename__ = "account_changes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(100), index=True)  # "user:li.na", "department:FIN"
    change: Mapped[str] = mapped_column(Text)
