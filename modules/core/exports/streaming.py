"""Write an export to a file with constant memory, whatever its size.

Fast path: every column of the resource is an ORM path (or a declared SQL annotation), so rows
come straight from ``values_list`` in keyset-paginated chunks (``pk > last`` ordered by pk: each
chunk is an index range scan, no long-lived cursor, no model instances). Otherwise (a column needs
Python: a property or a dehydrate_ method) model instances are read chunk by chunk the same way and
rendered by the resource. Either way memory holds one chunk, never the whole export, and every text
cell goes through ``safety.inert``.
"""

from __future__ import annotations

import csv
import re
import datetime as dt
import uuid
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone

from .safety import inert

CHUNK = 5000
XLSX_MAX_ROWS = 1_048_575  # one sheet's rows below the header; a bigger export continues on a new sheet


def _is_orm_path(model, path) -> bool:
    opts = model._meta
    parts = path.split("__")
    for index, part in enumerate(parts):
        try:
            field = opts.get_field(part)
        except FieldDoesNotExist:
            return False
        if field.many_to_many or field.one_to_many:
            return False
        if index < len(parts) - 1:
            if not field.is_relation:
                return False
            opts = field.related_model._meta
        elif not getattr(field, "concrete", False):
            return False
    return True


def plan(resource):
    """(headers, value paths, annotations) for the fast path, or (headers, None, None)."""
    fields = resource.get_export_fields()
    headers = [str(f.column_name) for f in fields]
    declared = getattr(resource, "stream_annotations", {})
    model = resource._meta.model
    paths, annotations = [], {}
    for field in fields:
        name = resource.get_field_name(field)
        method = field.get_dehydrate_method(name)
        if callable(method) or callable(getattr(resource, method, None)) or not field.attribute:
            return headers, None, None
        if field.attribute in declared:
            alias = "stream_" + field.attribute.replace("__", "_")
            annotations[alias] = declared[field.attribute]
            paths.append(alias)
        elif _is_orm_path(model, field.attribute):
            paths.append(field.attribute)
        else:
            return headers, None, None
    return headers, paths, annotations


def _chunks(queryset, build):
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        rows = build(page.order_by("pk"))
        if not rows:
            return
        yield rows
        last = rows[-1][0] if isinstance(rows[-1], tuple) else rows[-1].pk


def iter_rows(resource, queryset, chunk=None):
    """Yield lists of raw cell values (native types), one chunk at a time."""
    chunk = chunk or CHUNK
    headers, paths, annotations = plan(resource)
    if paths is not None:
        queryset = queryset.annotate(**annotations) if annotations else queryset
        for rows in _chunks(queryset, lambda qs: list(qs.values_list("pk", *paths)[:chunk])):
            yield [row[1:] for row in rows]
    else:
        for objects in _chunks(queryset, lambda qs: list(qs[: chunk // 5 or 1])):
            yield [resource.export_resource(obj, force_native_type=True) for obj in objects]


def csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return inert(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0).isoformat(sep=" ")
    if isinstance(value, (dt.date, int, float)):
        return value.isoformat() if isinstance(value, dt.date) else value
    return inert(str(value))


def xlsx_cell(value):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        return inert(ILLEGAL_CHARACTERS_RE.sub("", value))
    if isinstance(value, dt.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).replace(tzinfo=None)
    if value is None or isinstance(value, (bool, int, float, Decimal, dt.date, dt.time)):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    return inert(str(value))


SHEET_TITLE_MAX = 31  # Excel's limit


def sheet_title(title: str, number: int) -> str:
    """A sheet name Excel accepts, cut at a word (never mid-word), "(2)" on from the second sheet."""
    title = re.sub(r"[\[\]:*?/\\]", "", title).strip() or "Export"
    suffix = "" if number == 1 else f" ({number})"
    room = SHEET_TITLE_MAX - len(suffix)
    if len(title) > room:
        cut = title[:room + 1].rsplit(" ", 1)[0]
        title = cut if cut and len(cut) <= room else title[:room]
    return title.rstrip(" ,-") + suffix


class XlsxSheet:
    """One write-only sheet of an export: a bold header frozen above the rows, dates as dates and
    money as numbers with two decimals (each with a format a spreadsheet shows, and a width that
    fits it), everything else as ``xlsx_cell`` makes it. Formats are chosen per value, so a column
    of quantities (3 decimals) or costs (4) keeps its own precision."""

    FORMATS = {dt.datetime: ("yyyy-mm-dd hh:mm", 17), dt.date: ("yyyy-mm-dd", 11)}
    MONEY = ("#,##0.00", 13)

    def __init__(self, workbook, title, headers, first_row):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self.sheet = workbook.create_sheet(title)
        self._cell = lambda value: WriteOnlyCell(self.sheet, value)
        self.sheet.freeze_panes = "A2"
        widths = [max(len(str(h)) + 2, 8) for h in headers]
        for index, value in enumerate(first_row):
            widths[index] = max(widths[index], self._format(value)[1] if self._format(value) else 0,
                                min(len(str(value)) + 2, 40) if isinstance(value, str) else 0)
        for index, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        bold = Font(bold=True)
        header = []
        for text in headers:
            cell = self._cell(text)
            cell.font = bold
            header.append(cell)
        self.sheet.append(header)

    def _format(self, value):
        if isinstance(value, dt.datetime):
            return self.FORMATS[dt.datetime]
        if isinstance(value, dt.date):
            return self.FORMATS[dt.date]
        if isinstance(value, Decimal) and value.as_tuple().exponent == -2:
            return self.MONEY
        return None

    def append(self, row):
        cells = []
        for value in row:
            value = xlsx_cell(value)
            found = self._format(value)
            if found:
                cell = self._cell(value)
                cell.number_format = found[0]
                value = cell
            cells.append(value)
        self.sheet.append(cells)


def write(resource, queryset, file_format, out, progress=None, title="Export") -> int:
    """Write the export to ``out`` (a path or a binary file); return the row count."""
    headers, _, _ = plan(resource)
    done = 0
    if file_format == "csv":
        close = isinstance(out, (str, bytes)) or hasattr(out, "__fspath__")
        handle = open(out, "w", newline="", encoding="utf-8-sig") if close else out
        try:
            writer = csv.writer(handle)
            writer.writerow(headers)
            for rows in iter_rows(resource, queryset):
                writer.writerows([csv_cell(v) for v in row] for row in rows)
                done += len(rows)
                if progress:
                    progress(done)
        finally:
            if close:
                handle.close()
        return done
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet, in_sheet, sheets = None, XLSX_MAX_ROWS, 0
    for rows in iter_rows(resource, queryset):
        for row in rows:
            if in_sheet >= XLSX_MAX_ROWS:
                sheets += 1
                sheet = XlsxSheet(workbook, sheet_title(title, sheets), headers, row)
                in_sheet = 0
            sheet.append(row)
            in_sheet += 1
        done += len(rows)
        if progress:
            progress(done)
    if sheet is None:
        XlsxSheet(workbook, sheet_title(title, 1), headers, ())
    workbook.save(out)
    return done
