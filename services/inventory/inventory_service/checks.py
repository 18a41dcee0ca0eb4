"""Proof that the stock figures are what the ledger says they are."""

from __future__ import annotations

import sys

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Item, LedgerEntry, ReservationLine


def stock_differences(session: Session) -> list[str]:
    """Every item whose on-hand or reserved differs from its ledger or its reservations."""
    ledger = {
        sku: (on_hand, reserved)
        for sku, on_hand, reserved in session.execute(
            select(
                LedgerEntry.sku,
                func.sum(LedgerEntry.on_hand_change),
                func.sum(LedgerEntry.reserved_change),
            ).group_by(LedgerEntry.sku)
        )
    }
    held = dict(
        session.execute(
            select(ReservationLine.sku, func.sum(ReservationLine.reserved)).group_by(
                ReservationLine.sku
            )
        ).all()
    )
    differences = []
    for item in session.scalars(select(Item).order_by(Item.sku)):
        on_hand, reserved = ledger.get(item.sku, (0, 0))
        if (item.on_hand, item.reserved) != (on_hand, reserved):
            differences.append(
                f"{item.sku}: on hand {item.on_hand}, reserved {item.reserved}; "
                f"the ledger says on hand {on_hand}, reserved {reserved}"
            )
        if item.reserved != held.get(item.sku, 0):
            differences.append(
                f"{item.sku}: reserved {item.reserved}; "
                f"reservations of requests add up to {held.get(item.sku, 0)}"
            )
    return differences


@click.command("check-stock")
def check_stock() -> None:
    """Recompute on-hand and reserved from the ledger; exit 1 listing any difference."""
    from . import service

    database = service.database(service.settings())
    with database.sessions() as session:
        items = session.scalar(select(func.count()).select_from(Item))
        differences = stock_differences(session)
    for line in differences:
        click.echo(line)
    if differences:
        click.echo(f"check-stock: {len(differences)} difference(s) found", err=True)
        sys.exit(1)
    click.echo(f"check-stock: {items} items agree with the ledger")
