"""The request form as the browser sends it, and back.

A browser sends the lines as ``lines-0-sku``, ``lines-0-quantity``, ... and
blank strings for fields left empty. ``RequestForm`` turns that into the dict
``RequestInSchema`` loads for the JSON API too, and keeps what was typed so
that a form with errors comes back as the user left it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from .models import SupplyRequest
from .schemas import MAX_LINES

LINE_FIELD = re.compile(r"^lines-(\d{1,3})-(sku|quantity)$")
FRESH_ROWS = 2


@dataclass
class Row:
    sku: str = ""
    quantity: str = ""

    @property
    def blank(self) -> bool:
        return not (self.sku.strip() or self.quantity.strip())


@dataclass
class RequestForm:
    rows: list[Row]
    purpose: str = ""
    urgency: str = "normal"
    assigned_by: str = ""
    needed_by: str = ""
    # Sent back with the form, so a double-clicked submit creates one request.
    idempotency_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    errors: dict = field(default_factory=dict)

    @classmethod
    def blank(cls) -> RequestForm:
        return cls(rows=[Row() for _ in range(FRESH_ROWS)])

    @classmethod
    def of(cls, request: SupplyRequest) -> RequestForm:
        """The form for editing a request, filled in with what it asks now."""
        return cls(
            rows=[Row(line.sku, str(line.quantity)) for line in request.lines],
            purpose=request.purpose,
            urgency=request.urgency,
            assigned_by=request.assigned_by or "",
            needed_by=request.needed_by.isoformat() if request.needed_by else "",
        )

    @classmethod
    def posted(cls, form: MultiDict) -> RequestForm:
        rows: dict[int, Row] = {}
        for name, value in form.items():
            if match := LINE_FIELD.match(name):
                setattr(rows.setdefault(int(match[1]), Row()), match[2], value)
        return cls(
            rows=[rows[index] for index in sorted(rows)] or [Row()],
            purpose=form.get("purpose", ""),
            urgency=form.get("urgency", "normal"),
            assigned_by=form.get("assigned_by", ""),
            needed_by=form.get("needed_by", ""),
            idempotency_key=form.get("idempotency_key") or uuid.uuid4().hex,
        )

    def data(self) -> dict:
        """The input for ``RequestInSchema``: the same shape as the JSON body."""
        return {
            "lines": [{"sku": row.sku, "quantity": row.quantity} for row in self._filled()],
            "purpose": self.purpose,
            "urgency": self.urgency,
            "leader_assigned": bool(self.assigned_by),
            "assigned_by": self.assigned_by or None,
            "needed_by": self.needed_by or None,
        }

    def add_row(self) -> None:
        if len(self.rows) < MAX_LINES:
            self.rows.append(Row())

    def show_errors(self, messages: dict) -> None:
        """Keep ``messages`` for the fields; rows are renumbered as ``data()`` sent them."""
        self.rows = [*self._filled(), Row()][:MAX_LINES]
        self.errors = messages

    def _filled(self) -> list[Row]:
        return [row for row in self.rows if not row.blank]

    # -- what the template asks -------------------------------------------
    def error(self, name: str) -> list[str]:
        found = self.errors.get(name, [])
        # ``lines`` holds a list for the whole list and a dict for single lines.
        return found if isinstance(found, list) else []

    def line_error(self, index: int, name: str) -> list[str]:
        lines = self.errors.get("lines")
        if not isinstance(lines, dict):
            return []
        return lines.get(index, {}).get(name, [])
