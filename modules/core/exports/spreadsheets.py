"""Read an uploaded spreadsheet (CSV or XLSX) for an import, with bounded work whatever it holds.

An XLSX is a zip archive, and a small one can unpack to gigabytes (a zip bomb: 144 KB of
deflated XML can hold 77 MB). So, before anything is decompressed, the archive's central
directory is checked: how many members, how much they declare to unpack to in all
(``EXPORTS_UPLOAD_MAX_UNZIPPED_BYTES``), and how tightly each is packed (``MAX_RATIO``). A member
that lies about its size cannot get round this: Python's ``zipfile`` stops inflating a member at
the size its directory entry declares (and its CRC then fails), so the declared sizes bound the
work. The sheet is then read row by row (openpyxl's ``read_only`` mode, no full parse) and the
reading stops at the row cap (``EXPORTS_IMPORT_MAX_ROWS``): the rows beyond are never parsed.
XML entity tricks are refused by defusedxml, which openpyxl uses when it is installed.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator

import tablib
from django.conf import settings

from modules.core.registry.refusals import Refusal

from .safety import revive

MAX_RATIO = 100  # genuine sheets deflate about 5-15 to 1; a bomb about 1,000 to 1
RATIO_FROM_BYTES = 1024 * 1024  # small members may be packed as tightly as they like
MAX_MEMBERS = 500
UNREADABLE = "This file could not be read. Save it as CSV (comma separated) or Excel (.xlsx) and try again."


class FileProblem(Refusal):
    """The file cannot be read at all; the message is for the user."""


def max_rows() -> int:
    return getattr(settings, "EXPORTS_IMPORT_MAX_ROWS", 20_000)


def max_unzipped_bytes() -> int:
    return getattr(settings, "EXPORTS_UPLOAD_MAX_UNZIPPED_BYTES", 32 * 1024 * 1024)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse an archive whose directory promises too much work; nothing is decompressed here."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise FileProblem(f"This Excel file holds {len(members)} parts: it does not look like a spreadsheet. "
                          "Save it again as .xlsx, or as CSV.")
    total, limit = sum(m.file_size for m in members), max_unzipped_bytes()
    if total > limit:
        raise FileProblem(f"This Excel file unpacks to {_megabytes(total)}, more than an import takes "
                          f"({_megabytes(limit)}). Split it into smaller files, or save it as CSV.")
    for member in members:
        if member.file_size > RATIO_FROM_BYTES and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise FileProblem(f"This Excel file is packed {member.file_size // max(member.compress_size, 1)} "
                              "to 1, far tighter than a spreadsheet: it looks damaged or made to overload "
                              "the server. Save it again from Excel or LibreOffice, or as CSV.")


def _xlsx_rows(data: bytes) -> Iterator[tuple]:
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as error:
        raise FileProblem(UNREADABLE) from error
    with archive:
        check_archive(archive)
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.active
        sheet.reset_dimensions()  # the declared size may be wrong either way: read what is there
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> Iterator[list]:
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = data.decode("cp1252", errors="replace")
    yield from csv.reader(io.StringIO(content, newline=""))


def _blank(value) -> bool:
    return value is None or not str(value).strip()


def read_dataset(data: bytes, extension: str) -> tablib.Dataset:
    """The file's lines as a dataset with normalised headers ("Unit cost" → unit_cost) and no blank
    lines, or FileProblem with a plain message. At most ``max_rows()`` lines are ever read."""
    cap = max_rows()
    rows = _xlsx_rows(data) if extension == "xlsx" else _csv_rows(data)
    try:
        header = next(rows, None)
        if header is None:
            raise FileProblem("The file is empty: its first line must name the columns.")
        headers = [str(h if h is not None else "").strip().lower().replace(" ", "_") for h in header]
        while headers and not headers[-1]:
            headers.pop()
        dataset = tablib.Dataset(headers=headers)
        for line, row in enumerate(rows, start=2):
            if line - 1 > cap:  # read no further than one line past the cap
                raise FileProblem(f"The file has more than {cap:,} lines: split it into files of at most "
                                  f"{cap:,} lines.")
            cells = [revive(c) for c in row[:len(headers)]]
            if any(not _blank(c) for c in row[len(headers):]):
                raise FileProblem(f"Line {line} has more cells than the first line has column names. Name "
                                  "every column in the first line, or delete what is beyond them.")
            if all(_blank(c) for c in cells):
                continue
            dataset.append(cells + [None] * (len(headers) - len(cells)))
    except FileProblem:
        raise
    except Exception as error:  # noqa: BLE001 - any parser error means the same to the user
        raise FileProblem(UNREADABLE) from error
    finally:
        rows.close()  # the workbook's archive is closed now, even when reading stopped early
    return dataset
