"""The shape of every report: a ``Table`` of ``Column``s and rows (dicts), which the admin page
renders and the CSV download writes, the same rows. A row may carry ``_class``: total, subtotal,
section (only adds up or heads other rows) or issue (a thing to check)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal("0.00")
TOTAL_CLASSES = frozenset({"section", "subtotal", "total"})  # rows that only add up or head other rows


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text, money, number, int, date
    on_page: bool = True  # False: only in the CSV (what the page shows by layout, a file must say in a column)


@dataclass
class Table:
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)  # a row may carry "_class": total, section, issue
    notes: list[str] = field(default_factory=list)

    def add(self, _class: str = "", **values) -> dict:
        row = {**values, "_class": _class}
        self.rows.append(row)
        return row

    def cells(self, row, columns=None) -> list:
        return [row.get(c.key) for c in (columns or self.columns)]

    @property
    def page_columns(self) -> list[Column]:
        return [c for c in self.columns if c.on_page]

    def data_rows(self) -> list[dict]:
        """The rows a spreadsheet should sum: no totals, subtotals or section headings."""
        return [row for row in self.rows if row["_class"] not in TOTAL_CLASSES]


def sum_rows(rows, keys):
    """Each key summed over the rows (a subtotal or total row's values)."""
    return {k: sum((r.get(k) or 0 for r in rows), ZERO if k != "count" else 0) for k in keys}


__all__ = ["Column", "Table", "ZERO", "TOTAL_CLASSES", "sum_rows"]
