"""What the inventory service stores: items and the history of their details,
the stock ledger, reservations per request line, hand-outs and stock alerts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from procurement_common.db import TYPE_ANNOTATION_MAP, new_id, new_metadata, utcnow
from procurement_common.outbox import MessagingTables
from procurement_common.revocation import TokenCutoffs

from .stock import Level, Priority


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


messaging = MessagingTables.define(Base.metadata)
cutoffs = TokenCutoffs.define(Base.metadata)


class Item(Base):
    __tablename__ = "items"
    # The database refuses an oversold item even if a bug in here would not.
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
        CheckConstraint(
            "reorder_level >= 0 AND reorder_quantity >= 0", name="reorder_not_negative"
        ),
    )

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    unit_cost: Mapped[Decimal]
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    reorder_level: Mapped[int] = mapped_column(default=0)
    reorder_quantity: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # What the catalog copy in requests last heard is available (see
    # ``stockroom.announce_availability``).
    announced_available: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def level(self) -> Level:
        return Level(self.on_hand, self.reserved, self.reorder_level)

    @property
    def low(self) -> bool:
        return self.level.is_low


class LedgerEntry(Base):
    """One movement of stock. Appended, never changed: on-hand and reserved
    are the sums of these changes, and ``check-stock`` proves it."""

    __tablename__ = "stock_ledger"
    __table_args__ = (Index("ix_stock_ledger_sku_id", "sku", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    sku: Mapped[str] = mapped_column(ForeignKey("items.sku"))
    kind: Mapped[str] = mapped_column(String(16))
    on_hand_change: Mapped[int]
    reserved_change: Mapped[int]
    on_hand_after: Mapped[int]
    reserved_after: Mapped[int]
    request_id: Mapped[str | None] = mapped_column(String(64), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Person(Base):
    """Whom a username belongs to, as requests last announced it
    (``account.changed``): the pages call people by their names."""

    __tablename__ = "people"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime]


class ItemChange(Base):
    """A change to an item's details (name, cost, reorder level, …) or its
    addition: who, when, and each field from what to what. Appended, never
    changed; stock itself moves only through the ledger."""

    __tablename__ = "item_changes"
    __table_args__ = (Index("ix_item_changes_sku_id", "sku", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    sku: Mapped[str] = mapped_column(ForeignKey("items.sku"))
    change: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
@event.listens_for(ItemChange, "before_update")
@event.listens_for(ItemChange, "before_delete")
def _history_is_append_only(_mapper, _connection, entry):
    raise TypeError(f"{entry.__tablename__} row {entry.id} is append-only; record a new one")


class Reservation(Base):
    """What inventory holds for one approved request.

    A row may exist before the approval: a cancellation that arrives first is
    remembered here, so the late approval reserves nothing.
    """

    __tablename__ = "reservations"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    requester: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(16))
    # As the approval named them; reservations made before it sent them have none.
    department_name: Mapped[str | None] = mapped_column(String(100))
    requester_name: Mapped[str | None] = mapped_column(String(100))
    purpose: Mapped[str | None] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    leader_assigned: Mapped[bool] = mapped_column(default=False)
    needed_by: Mapped[date | None]
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[ReservationLine]] = relationship(
        back_populates="reservation", order_by="ReservationLine.sku"
    )
    handouts: Mapped[list[Handout]] = relationship(order_by="Handout.at")

    @property
    def priority(self) -> Priority:
        return Priority(
            self.leader_assigned, self.urgency, self.needed_by, self.submitted_at or self.created_at
        )

    @property
    def requested_by(self) -> str | None:
        """The requester by name, or by username where the approval did not send it."""
        return self.requester_name or self.requester

    @property
    def reserved(self) -> int:
        return sum(line.reserved for line in self.lines)

    @property
    def backordered(self) -> int:
        return sum(line.backordered for line in self.lines)


class ReservationLine(Base):
    __tablename__ = "reservation_lines"
    __table_args__ = (
        UniqueConstraint("request_id", "sku"),
        CheckConstraint(
            "reserved >= 0 AND issued >= 0 AND backordered >= 0", name="quantities_not_negative"
        ),
        Index("ix_reservation_lines_backordered", "sku", "backordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("reservations.request_id"))
    sku: Mapped[str] = mapped_column(ForeignKey("items.sku"))
    approved: Mapped[int]
    reserved: Mapped[int] = mapped_column(default=0)
    issued: Mapped[int] = mapped_column(default=0)
    backordered: Mapped[int] = mapped_column(default=0)

    reservation: Mapped[Reservation] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()


class Handout(Base):
    __tablename__ = "handouts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("reservations.request_id"), index=True)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    complete: Mapped[bool]

    lines: Mapped[list[HandoutLine]] = relationship(order_by="HandoutLine.sku")


class HandoutLine(Base):
    __tablename__ = "handout_lines"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    handout_id: Mapped[str] = mapped_column(ForeignKey("handouts.id"), index=True)
    sku: Mapped[str] = mapped_column(ForeignKey("items.sku"))
    quantity: Mapped[int]
    # What one unit cost when it went out: the usage report values hand-outs
    # at this, so a later price change does not rewrite what was spent.
    unit_cost: Mapped[Decimal]


class Alert(Base):
    """A stock alert: opened when available stock falls to or below the
    reorder level, resolved when it comes back above."""

    __tablename__ = "stock_alerts"
    __table_args__ = (
        # At most one open alert per item: the "once per crossing" rule, kept by the database.
        Index(
            "uq_stock_alerts_open_sku",
            "sku",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    sku: Mapped[str] = mapped_column(ForeignKey("items.sku"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    # Snapshots, so the alert explains itself after the item has changed.
    reorder_level: Mapped[int]
    reorder_quantity: Mapped[int]
    available_at_open: Mapped[int]
    opened_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    available_at_resolve: Mapped[int | None]
    resolved_at: Mapped[datetime | None]

    item: Mapped[Item] = relationship()
