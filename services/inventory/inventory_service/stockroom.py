"""Stock movements inside one unit of work (a SQLAlchemy session).

Every movement is a conditional UPDATE of the item's row that says how much
changed and is refused when the stock is not there, plus a ledger entry with
the balances that UPDATE returned. SQLAlchemy drops ``FOR UPDATE`` on
SQLite, so overselling is prevented by the conditions themselves, on both
databases.

Locks are always taken in one order, items first (by SKU), then the rows of
requests, so two transactions never wait for each other in a circle. A
request's lines are read again after their items are locked: a concurrent
transaction may have changed them since they were first loaded.

Events are gathered while the work goes on and recorded when it ends
(``settle``), so a receipt that fills three backorders announces each
request once. Items are checked against their reorder levels once per
transaction, as they stand when it commits: the worker applies a batch of
approvals in one transaction, mostly for the same few items, and an item
that dips below its reorder level and comes back within it raises no alert.

An item whose details change is announced (``item.changed``) when that
commits. One whose stock moved is announced by ``announce_availability``,
which the worker runs every second: stock moves with every approval, and
the catalog copy in requests, which tells staff what is available, needs
no more than a second's news of it. Every announcement of an item is made
under its row lock, so they are made in the order they are stamped with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, event, exists, select, update
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from procurement_common import events as ev
from procurement_common.changes import described, listed
from procurement_common.db import utcnow
from procurement_common.events import Event

from . import stock
from .models import (
    Alert,
    Handout,
    HandoutLine,
    Item,
    ItemChange,
    LedgerEntry,
    Reservation,
    ReservationLine,
    messaging,
)
from .stock import AlertChange, Claim, Level, Movement, Status, StockRuleBroken

SOURCE = "inventory"
ITEM_FIELDS = (
    "name",
    "unit",
    "category",
    "unit_cost",
    "reorder_level",
    "reorder_quantity",
    "active",
)


# A movement: how much on hand and reserved changed, with the balances after
# and the reorder level they are measured against. Built once, as every
# approval makes one.
_MOVE = (
    update(Item)
    .where(Item.sku == bindparam("moved_sku"))
    .values(
        on_hand=Item.on_hand + bindparam("on_hand_change"),
        reserved=Item.reserved + bindparam("reserved_change"),
        updated_at=bindparam("moved_at"),
    )
    .returning(Item.on_hand, Item.reserved, Item.reorder_level)
    .execution_options(synchronize_session=False)
)
_RESERVE = _MOVE.where(Item.on_hand - Item.reserved >= bindparam("amount"))
_TAKE_FROM_RESERVED = _MOVE.where(Item.reserved >= bindparam("amount"))


class NotFound(LookupError):
    """No such item or request (HTTP 404)."""

    def __str__(self) -> str:
        return str(self.args[0])


class Stockroom:
    """Use as a context manager: leaving the block without an error records
    the events the work caused; the caller then commits the session."""

    def __init__(self, session: Session, by: str):
        self.session = session
        self.by = by
        self._available_before: dict[str, int] = {}
        self._levels: dict[str, Level] = {}  # as each item's last movement left it
        self._changed_items: set[str] = set()
        # Held here, not looked up again: a new one is not yet in the database.
        self._changed_reservations: dict[str, Reservation] = {}
        # The session's identity map holds objects weakly: keeping the items
        # looked up here spares ``settle`` loading them again.
        self._items: dict[str, Item] = {}

    def __enter__(self) -> Stockroom:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.settle()

    # -- items -------------------------------------------------------------
    def item(self, sku: str, *, locked: bool = False) -> Item:
        """The item, or NotFound; ``locked``: its row locked until the commit."""
        item = self._lock([sku]).get(sku) if locked else self.session.get(Item, sku)
        if item is None:
            raise NotFound(f"No item has SKU {sku!r}.")
        self._items[sku] = item
        return item

    def add_item(self, data: Mapping[str, Any]) -> Item:
        if self.session.get(Item, data["sku"]) is not None:
            raise StockRuleBroken(f"An item with SKU {data['sku']!r} already exists.")
        item = Item(sku=data["sku"], on_hand=0, reserved=0)
        self._apply_fields(item, data)
        self.session.add(item)
        self.session.flush()
        added = listed({name: getattr(item, name) for name in ITEM_FIELDS})
        self._record_change(item.sku, f"added: {added}")
        if data.get("on_hand"):
            self._move(item.sku, Movement.RECEIPT, on_hand=data["on_hand"], note="opening stock")
        return item

    def change_item(self, sku: str, data: Mapping[str, Any]) -> Item:
        """Change an item's details; what changed, from what to what, is kept."""
        # Locked before it is announced, as the availability job locks it: the
        # two announcements then go out in the order of their time stamps.
        item = self.item(sku, locked=True)
        before = {name: getattr(item, name) for name in ITEM_FIELDS}
        self._apply_fields(item, data)
        after = {name: getattr(item, name) for name in ITEM_FIELDS}
        if change := described(before, after, ITEM_FIELDS):
            self._record_change(sku, change)
        return item

    def _record_change(self, sku: str, change: str) -> None:
        self.session.add(ItemChange(sku=sku, change=change, by=self.by, at=utcnow()))

    def _apply_fields(self, item: Item, data: Mapping[str, Any]) -> None:
        for name in ITEM_FIELDS:
            if name in data:
                setattr(item, name, data[name])
        self._changed_items.add(item.sku)

    # -- movements that people make ---------------------------------------
    def receive(self, sku: str, quantity: int, note: str | None) -> LedgerEntry:
        self.item(sku)
        entry = self._move(sku, Movement.RECEIPT, on_hand=quantity, note=note)
        self.fill_backorders(sku)
        return entry

    def adjust(self, sku: str, counted: int, reason: str) -> LedgerEntry:
        """Set on-hand to what a count found; reservations it cannot cover give way."""
        item = self.item(sku, locked=True)
        if counted < item.reserved:
            self._take_back(sku, item.reserved - counted)
        change = counted - item.on_hand
        entry = self._move(sku, Movement.ADJUSTMENT, on_hand=change, note=reason)
        if change > 0:
            self.fill_backorders(sku)
        return entry

    def hand_out(self, request_id: str, asked: Mapping[str, int] | None = None) -> Handout:
        """Hand out what is reserved for a request, or the part of it ``asked`` for."""
        reservation = self.session.get(Reservation, request_id)
        if reservation is None or not reservation.lines:
            raise StockRuleBroken(f"Nothing is reserved for request {request_id}.")
        if reservation.status != Status.OPEN:
            raise StockRuleBroken(
                f"Request {request_id} is {reservation.status}; nothing to hand out."
            )
        items, lines = self._locked_lines(reservation)
        plan = stock.hand_out_plan({sku: line.reserved for sku, line in lines.items()}, asked)
        handout = Handout(request_id=request_id, by=self.by, complete=False)
        for sku in sorted(plan):
            line, quantity = lines[sku], plan[sku]
            self._move(
                sku,
                Movement.HANDOUT,
                on_hand=-quantity,
                reserved=-quantity,
                request_id=request_id,
            )
            line.reserved -= quantity
            line.issued += quantity
            handout.lines.append(
                HandoutLine(sku=sku, quantity=quantity, unit_cost=items[sku].unit_cost)
            )
        handout.complete = all(line.issued >= line.approved for line in lines.values())
        if handout.complete:
            reservation.status = Status.ISSUED
        self.session.add(handout)
        _record(
            self.session,
            ev.STOCK_ISSUED,
            {
                "request_id": request_id,
                "by": self.by,
                # Totals so far, so a repeated or reordered event changes nothing.
                "lines": [
                    {"sku": line.sku, "issued_quantity": line.issued} for line in lines.values()
                ],
                "complete": handout.complete,
            },
            correlation_id=request_id,
        )
        return handout

    # -- movements that other services' events cause ----------------------
    def reserve_for_approval(
        self, data: Mapping[str, Any], approved_at: datetime
    ) -> Reservation | None:
        """Reserve what an approved request needs; what is short is backordered.

        An approval for a request we already hold, or one cancelled first, does nothing.
        """
        request_id = data["request_id"]
        # Without a flush: the rows of approvals before this one in the
        # worker's batch are written together when it commits. (Two
        # approvals of one request in one batch collide then, and the
        # consumer applies the batch again one by one.)
        with self.session.no_autoflush:
            if self.session.get(Reservation, request_id) is not None:
                return None
        reservation = Reservation(
            request_id=request_id,
            status=Status.OPEN,
            requester=data["requester"],
            requester_name=data.get("requester_name"),
            purpose=data.get("purpose"),
            department=data["department"],
            department_name=data.get("department_name"),
            urgency=data["urgency"],
            leader_assigned=data["leader_assigned"],
            needed_by=data.get("needed_by"),
            submitted_at=data["submitted_at"],
            approved_at=approved_at,
            lines=[],  # known empty: appending needs no load
        )
        self.session.add(reservation)
        wanted: dict[str, int] = {}
        for line in data["lines"]:
            wanted[line["sku"]] = wanted.get(line["sku"], 0) + line["approved_quantity"]
        # The look-ups here read only items, which nothing pending changes.
        with self.session.no_autoflush:
            for sku in sorted(wanted):
                if wanted[sku] <= 0:
                    continue
                reserved = self._reserve(sku, wanted[sku], request_id)
                reservation.lines.append(
                    ReservationLine(
                        sku=sku,
                        approved=wanted[sku],
                        reserved=reserved,
                        backordered=wanted[sku] - reserved,
                    )
                )
        if not reservation.lines:
            reservation.status = Status.ISSUED
        self._changed_reservations[request_id] = reservation
        return reservation

    def close(self, request_id: str, status: Status) -> None:
        """Cancel or finish a request: release what it holds, drop its backorders.

        A close that arrives before the approval is remembered, so the
        approval, when it comes, reserves nothing.
        """
        reservation = self.session.get(Reservation, request_id)
        if reservation is None:
            self.session.add(Reservation(request_id=request_id, status=status))
            return
        if reservation.status in (Status.CANCELLED, Status.RECEIVED):
            return
        released = []
        _items, lines = self._locked_lines(reservation)
        for sku, line in lines.items():
            if line.reserved:
                self._move(
                    sku,
                    Movement.RELEASE,
                    reserved=-line.reserved,
                    request_id=request_id,
                    note=f"request {status}",
                )
                released.append(sku)
            line.reserved = 0
            line.backordered = 0
        reservation.status = status
        self.session.flush()
        for sku in released:
            self.fill_backorders(sku)

    # -- backorders --------------------------------------------------------
    def fill_backorders(self, sku: str) -> None:
        """Reserve newly available stock for waiting requests, most pressing first."""
        waiting = self._open_lines(sku, ReservationLine.backordered > 0)
        if not waiting:
            return
        claims = [Claim(line, line.backordered, line.reservation.priority) for line in waiting]
        for line, quantity in stock.fill_backorders(self._available(sku), claims):
            reserved = self._reserve(sku, quantity, line.request_id)
            line.reserved += reserved
            line.backordered -= reserved
            self._changed_reservations[line.request_id] = line.reservation

    def _take_back(self, sku: str, shortfall: int) -> None:
        holding = self._open_lines(sku, ReservationLine.reserved > 0)
        claims = [Claim(line, line.reserved, line.reservation.priority) for line in holding]
        for line, quantity in stock.take_back(shortfall, claims):
            self._move(
                sku,
                Movement.RELEASE,
                reserved=-quantity,
                request_id=line.request_id,
                note="a count found fewer than were reserved; backordered again",
            )
            line.reserved -= quantity
            line.backordered += quantity
            self._changed_reservations[line.request_id] = line.reservation

    def _open_lines(self, sku: str, condition: ColumnElement[bool]) -> list[ReservationLine]:
        query = (
            select(ReservationLine)
            .join(ReservationLine.reservation)
            .options(contains_eager(ReservationLine.reservation))
            .where(ReservationLine.sku == sku, Reservation.status == Status.OPEN, condition)
            .execution_options(populate_existing=True)
        )
        return list(self.session.scalars(query))

    # -- the primitives ----------------------------------------------------
    def _lock(self, skus: Iterable[str]) -> dict[str, Item]:
        # On PostgreSQL this row lock orders concurrent work on an item; SQLite
        # has no row locks, but there every writing transaction is exclusive.
        query = (
            select(Item)
            .where(Item.sku.in_(sorted(set(skus))))
            .order_by(Item.sku)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {item.sku: item for item in self.session.scalars(query)}

    def _locked_lines(
        self, reservation: Reservation
    ) -> tuple[dict[str, Item], dict[str, ReservationLine]]:
        """The reservation's items, locked, and its lines as they now stand, by SKU."""
        items = self._lock(line.sku for line in reservation.lines)
        for line in reservation.lines:
            self.session.refresh(line)
        return items, {line.sku: line for line in reservation.lines}

    def _available(self, sku: str) -> int:
        available = self.session.scalar(select(Item.on_hand - Item.reserved).where(Item.sku == sku))
        if available is None:
            raise NotFound(f"No item has SKU {sku!r}.")
        return available

    def _reserve(self, sku: str, wanted: int, request_id: str) -> int:
        """Reserve up to ``wanted``: all of it if available, else what there is."""
        # Most approvals find their stock, and the guarded update checks that
        # anyway: ask for all of it first and read what is available only if short.
        quantity = wanted
        while True:
            moved = self._move(
                sku,
                Movement.RESERVATION,
                reserved=quantity,
                request_id=request_id,
            )
            if moved is not None:
                return quantity
            # Short, or someone took stock since we looked: take what there is now.
            quantity, _short = stock.split(wanted, self._available(sku))
            if quantity == 0:
                return 0

    def _move(
        self,
        sku: str,
        kind: Movement,
        *,
        on_hand: int = 0,
        reserved: int = 0,
        request_id: str | None = None,
        note: str | None = None,
    ) -> LedgerEntry | None:
        """Change an item's stock and write the ledger entry.

        A change of what is reserved is refused (None for a reservation, an
        error otherwise) unless the stock is there: a reservation needs that
        much available, and a release or hand-out that much reserved.
        """
        if reserved > 0:
            statement = _RESERVE
        elif reserved < 0:
            statement = _TAKE_FROM_RESERVED
        else:
            statement = _MOVE
        # Through the connection: the session would first flush whatever is
        # pending (a new reservation, say), ahead of the item's lock and for
        # nothing, as the UPDATE reads only the item's row.
        row = (
            self.session.connection()
            .execute(
                statement,
                {
                    "moved_sku": sku,
                    "on_hand_change": on_hand,
                    "reserved_change": reserved,
                    "amount": abs(reserved),
                    "moved_at": utcnow(),
                },
            )
            .first()
        )
        if row is None:
            if kind == Movement.RESERVATION:
                return None
            raise StockRuleBroken(f"The stock of {sku} changed meanwhile; try again.")
        self._available_before.setdefault(sku, (row.on_hand - on_hand) - (row.reserved - reserved))
        self._levels[sku] = Level(row.on_hand, row.reserved, row.reorder_level)
        if (
            item := self.session.identity_map.get(self.session.identity_key(Item, sku))
        ) is not None:
            set_committed_value(item, "on_hand", row.on_hand)
            set_committed_value(item, "reserved", row.reserved)
        entry = LedgerEntry(
            sku=sku,
            kind=kind,
            on_hand_change=on_hand,
            reserved_change=reserved,
            on_hand_after=row.on_hand,
            reserved_after=row.reserved,
            request_id=request_id,
            note=note,
            by=self.by,
            at=utcnow(),
        )
        self.session.add(entry)
        return entry

    # -- the events ----------------------------------------------------------
    def settle(self) -> None:
        """Record the events this work caused; leave the items whose details
        changed to be announced at the commit, and those that are or were
        low to be checked against their reorder levels then.

        The new rows are left for the commit to write too, all of a
        transaction's together: a worker's batch of ten approvals writes its
        reservations, their lines and their ledger entries with three
        INSERTs, not thirty.
        """
        to_check, to_announce = _left_for_commit(self.session)
        for sku in sorted(self._changed_items):
            to_check[sku] = to_announce[sku] = self.session.get(Item, sku)
        for sku in sorted(self._available_before.keys() - self._changed_items):
            # Most approvals leave it well above its level: no need to load it.
            if stock.alert_may_change(self._available_before[sku], self._levels[sku]):
                to_check[sku] = self.session.get(Item, sku)
        for request_id, reservation in sorted(self._changed_reservations.items()):
            _record(
                self.session,
                ev.STOCK_RESERVED,
                reserved_event_data(reservation),
                correlation_id=request_id,
            )
        self._available_before.clear()
        self._levels.clear()
        self._changed_items.clear()
        self._changed_reservations.clear()


def _record(
    session: Session, event_type: str, data: dict, correlation_id: str | None = None
) -> None:
    messaging.record(
        session, Event.new(event_type, data, source=SOURCE, correlation_id=correlation_id)
    )


# What a session's transaction leaves for its commit: (that transaction,
# the items to check against their reorder levels, the items to announce),
# each {sku: item}.
_AT_COMMIT = "inventory.left_for_commit"


def _left_for_commit(session: Session) -> tuple[dict[str, Item], dict[str, Item]]:
    """The items to check and to announce when this transaction commits.

    Ten approvals of paper in one batch need one look at the paper's alert,
    as it stands after them all.
    """
    transaction = session.get_transaction()
    held = session.info.get(_AT_COMMIT)
    if held is None or held[0] is not transaction:
        held = session.info[_AT_COMMIT] = (transaction, {}, {})
        event.listen(session, "before_commit", _finish_at_commit, once=True)
    return held[1], held[2]


def _finish_at_commit(session: Session) -> None:
    transaction, to_check, to_announce = session.info.pop(_AT_COMMIT, (None, {}, {}))
    if transaction is not session.get_transaction():
        return  # gathered in a transaction that was rolled back
    for sku in sorted(to_check):
        _check_alert(session, to_check[sku])
    for sku in sorted(to_announce):
        _announce(session, to_announce[sku])


def _announce(session: Session, item: Item) -> None:
    _record(session, ev.ITEM_CHANGED, item_event_data(item))
    item.announced_available = item.available


_NOT_AS_ANNOUNCED = Item.announced_available.is_distinct_from(Item.on_hand - Item.reserved)
# Locked like any movement: an approval committing meanwhile is then either
# seen whole, or announced next time.
_MOVED_SINCE_ANNOUNCED = select(Item).where(_NOT_AS_ANNOUNCED).order_by(Item.sku).with_for_update()
_ANY_MOVED_SINCE_ANNOUNCED = select(exists().where(_NOT_AS_ANNOUNCED))


def any_moved_since_announced(connection: Connection) -> bool:
    return bool(connection.scalar(_ANY_MOVED_SINCE_ANNOUNCED))


def announce_availability(session: Session) -> None:
    """Announce each item whose stock moved since the catalog copy last heard
    of it, as it stands now."""
    for item in session.scalars(_MOVED_SINCE_ANNOUNCED).all():
        _announce(session, item)


def _check_alert(session: Session, item: Item) -> None:
    # Most commits change no alert: the open alert's id says enough until
    # one has to change.
    alert_id = session.scalar(select(Alert.id).where(Alert.sku == item.sku, Alert.status == "open"))
    change = stock.alert_change(alert_id is not None, item.level)
    if change == AlertChange.OPEN:
        alert = Alert(
            sku=item.sku,
            status="open",
            reorder_level=item.reorder_level,
            reorder_quantity=item.reorder_quantity,
            available_at_open=item.available,
            opened_at=utcnow(),
        )
        session.add(alert)
        session.flush()
        _record(session, ev.STOCK_LOW, alert_event_data(alert, item))
    elif change == AlertChange.RESOLVE:
        alert = session.get(Alert, alert_id)
        alert.status = "resolved"
        alert.resolved_at = utcnow()
        alert.available_at_resolve = item.available
        _record(session, ev.STOCK_RESTORED, alert_event_data(alert, item))


def item_event_data(item: Item) -> dict:
    return {
        "sku": item.sku,
        "name": item.name,
        "unit": item.unit,
        "category": item.category,
        "unit_cost": item.unit_cost,
        "available": item.available,
        "reorder_level": item.reorder_level,
        "reorder_quantity": item.reorder_quantity,
        "active": item.active,
    }


def reserved_event_data(reservation: Reservation) -> dict:
    # Totals now held and still short per line, so a repeat changes nothing.
    return {
        "request_id": reservation.request_id,
        "lines": [
            {
                "sku": line.sku,
                "reserved_quantity": line.reserved,
                "backordered_quantity": line.backordered,
            }
            for line in reservation.lines
        ],
        "backordered": [line.sku for line in reservation.lines if line.backordered],
    }


def alert_event_data(alert: Alert, item: Item) -> dict:
    return {
        "alert_id": alert.id,
        "sku": item.sku,
        "name": item.name,
        "available": item.available,
        "reorder_level": item.reorder_level,
        "reorder_quantity": item.reorder_quantity,
    }
