"""A table a page shows, downloaded as CSV (or XLSX): one writer for every report page (reports, the ledger's
trial balance and P&L, stock valuation), so each file opens the same way in a spreadsheet.

* Only data rows: the page's totals and subtotals stay out, so a SUM or a pivot counts each figure
  once (the caller passes the data rows).
* Cells typed by their column: money with two decimals, counts as integers, quantities without
  trailing zeros, dates as ISO dates, text formula-safe (``streaming.csv_cell``).
* Audited like every export (who, what, when, the filters).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse

from .models import ExportJob
from .services import record
from .streaming import csv_cell

CENT = Decimal("0.01")


@dataclass(frozen=True)
class CsvColumn:
    label: str
    kind: str = "text"  # text, money, number, int, date


def typed_cell(value, kind: str):
    if value is None or value == "":
        return ""
    if kind == "money":
        return format(Decimal(value).quantize(CENT), "f")
    if kind == "int":
        return int(value)
    if kind == "number":
        number = Decimal(value).normalize()
        return format(number.quantize(1) if number == number.to_integral() else number, "f")
    if kind == "date" and isinstance(value, dt.date):
        return value.isoformat()
    return csv_cell(value)


def csv_download(request, *, filename: str, columns: list[CsvColumn], rows, kind: str, label: str,
                 filters: dict) -> HttpResponse:
    """``rows``: the data rows, each a sequence of values in ``columns`` order."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # Excel opens UTF-8 (KES, names with accents) correctly with a BOM
    writer = csv.writer(response)
    writer.writerow([c.label for c in columns])
    count = 0
    for row in rows:
        writer.writerow([typed_cell(value, column.kind) for value, column in zip(row, columns)])
        count += 1
    record(request.user, kind=kind, label=label, file_format="csv", filters=filters, mode=ExportJob.Mode.INLINE,
           rows=count)
    return response


def xlsx_typed(value, kind: str):
    """A cell as XLSX keeps it: money a number with two decimals (shown #,##0.00), counts integers,
    text formula-safe (``streaming.XlsxSheet`` makes every string inert)."""
    if value is None or value == "":
        return None
    if kind == "money":
        return Decimal(value).quantize(CENT)
    if kind == "int":
        return int(value)
    if kind == "number":
        return Decimal(value)
    return value


def xlsx_download(request, *, filename: str, columns: list[CsvColumn], rows, kind: str, label: str,
                  filters: dict, title: str = "Report") -> HttpResponse:
    """The same rows as ``csv_download``, as one XLSX sheet (bold frozen header, money as numbers)."""
    import io

    from openpyxl import Workbook

    from .streaming import XlsxSheet, sheet_title

    workbook = Workbook(write_only=True)
    rows = [[xlsx_typed(value, column.kind) for value, column in zip(row, columns)] for row in rows]
    sheet = XlsxSheet(workbook, sheet_title(title, 1), [c.label for c in columns], rows[0] if rows else ())
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    response = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    record(request.user, kind=kind, label=label, file_format="xlsx", filters=filters, mode=ExportJob.Mode.INLINE,
           rows=len(rows))
    return response


def csv_link(request) -> str:
    """The page's own address asking for its CSV (same filters)."""
    query = request.GET.copy()
    query["format"] = "csv"
    return f"?{query.urlencode()}"


def wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"
