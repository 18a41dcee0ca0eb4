"""Reports as CSV files, for a spreadsheet or a supplier."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

from flask import Response


def csv_file(rows: Iterable[Mapping], columns: Sequence[str], filename: str) -> Response:
    """``rows`` as a CSV download of ``columns``, in that order."""
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: _cell(row[name]) for name in columns})
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cell(value):
    # A spreadsheet runs a cell that starts like a formula; an item name must not.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
