"""The demo catalog (never loaded in production)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from procurement_common.settings import Settings

from .models import Item
from .stockroom import Stockroom

# sku, name, unit, category, unit cost, on hand, reorder level, reorder quantity
DEMO_ITEMS = [
    ("PAPER-A4", "A4 copy paper", "ream", "Paper", "25.00", 200, 40, 100),
    ("PAPER-A3", "A3 copy paper", "ream", "Paper", "48.00", 30, 10, 20),
    ("PEN-GEL-BLK", "Black gel pens", "box", "Writing", "18.00", 60, 15, 40),
    ("PEN-GEL-RED", "Red gel pens", "box", "Writing", "18.00", 20, 5, 20),
    ("MARKER-WB", "Whiteboard markers, assorted", "set", "Writing", "32.00", 25, 8, 20),
    ("NOTEBOOK-A5", "A5 ruled notebook", "piece", "Paper", "9.50", 120, 30, 100),
    ("STAPLER", "Desk stapler", "piece", "Desk", "45.00", 12, 4, 10),
    ("STAPLES-24-6", "Staples 24/6", "box", "Desk", "6.00", 80, 20, 50),
    ("FOLDER-L", "L-shaped clear folders", "pack", "Filing", "12.00", 40, 10, 30),
    ("TONER-HP-26A", "HP 26A toner cartridge", "piece", "Printing", "420.00", 6, 3, 6),
    ("BATTERY-AA", "AA batteries", "pack", "Electrical", "22.00", 10, 10, 20),
]


def load_demo_data(session: Session, settings: Settings) -> bool:
    if session.scalar(select(func.count()).select_from(Item)):
        return False
    with Stockroom(session, by="seed") as room:
        for sku, name, unit, category, cost, on_hand, level, quantity in DEMO_ITEMS:
            room.add_item(
                {
                    "sku": sku,
                    "name": name,
                    "unit": unit,
                    "category": category,
                    "unit_cost": Decimal(cost),
                    "reorder_level": level,
                    "reorder_quantity": quantity,
                    "on_hand": on_hand,
                }
            )
    return True
