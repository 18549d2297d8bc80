"""Spreadsheet imports with a dry run first: the machinery. What can be imported is declared by
the module that owns the rows, beside its exports, in its resources.py (``IMPORTS``, see
specs.py): a ``DeskImport`` resource built from the widgets here. Built on django-import-export;
every message is plain English for the person at the counter, and a confirmed import is all or
nothing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from import_export import fields, resources, widgets

from .specs import ImportSpec


class Text(widgets.Widget):
    """Trimmed text; an empty cell is None (so it changes nothing on an existing row)."""

    def clean(self, value, row=None, **kwargs):
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a SKU typed as a number comes back from Excel as 1001.0
        value = str(value).strip()
        return value or None


class Amount(widgets.Widget):
    """A number as people type it: "1,500", "KES 150.50", " 24 "."""

    def __init__(self, message="Write a number, like 150 or 150.50."):
        super().__init__()
        self.message = message

    def clean(self, value, row=None, **kwargs):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return Decimal(str(value))
        text = str(value).upper().replace("KES", "").replace("KSH", "").replace(",", "").replace(" ", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(self.message) from None
        if not number.is_finite():
            raise ValueError(self.message)
        return number


def text(attribute, column, **kwargs):
    return fields.Field(attribute=attribute, column_name=column, widget=Text(), saves_null_values=False, **kwargs)


def amount(attribute, column, message=None):
    return fields.Field(attribute=attribute, column_name=column, saves_null_values=False,
                        widget=Amount(message) if message else Amount())


def check_places(value: Decimal | None, errors, key, *, decimals, what="number"):
    if value is not None and value != value.quantize(Decimal(1).scaleb(-decimals)):
        errors[key] = f"Use at most {decimals} digits after the point for the {what}."


class DeskImport(resources.ModelResource):
    """Base: knows the business and the user, keeps a dry run free of side effects outside the
    database (which is rolled back), and never deletes."""

    columns: tuple[str, ...] = ()  # example header row, first the required ones
    required: tuple[str, ...] = ()
    # Other names a column may have, e.g. the header of the export this import takes back:
    # {"selling_price": "price"}.
    aliases: dict[str, str] = {}

    def __init__(self, business=None, user=None):
        super().__init__()
        self.business, self.user = business, user

    def raise_if(self, errors):
        if errors:
            raise ValidationError(errors)

    def after_import(self, dataset, result, **kwargs):
        """import-export resets the id sequence (setval) after adding rows, for rows that bring
        their own id. Ours never do (no import has an id column: new rows take the sequence's
        next value), and the app's database role may not setval: skip it."""


@dataclass
class RowProblem:
    row: int  # the spreadsheet's line number (the header is line 1)
    column: str
    message: str


@dataclass
class Outcome:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] | None = None
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def _problems(resource, result) -> list[RowProblem]:
    columns = {f.attribute: f.column_name for f in resource.get_import_fields()}
    problems = []
    for error in result.base_errors:
        problems.append(RowProblem(0, "", f"The file could not be imported: {error.error}"))
    for invalid in result.invalid_rows:
        for attribute, messages in invalid.field_specific_errors.items():
            for message in messages:
                problems.append(RowProblem(invalid.number + 1, columns.get(attribute, attribute), message))
        for message in invalid.non_field_specific_errors:
            problems.append(RowProblem(invalid.number + 1, "", message))
    for row in result.error_rows:
        for error in row.errors:
            problems.append(RowProblem(row.number + 1, "",
                                       f"This line could not be saved ({type(error.error).__name__}: {error.error})."))
    return sorted(problems, key=lambda p: p.row)


def use_aliases(resource_class: type[DeskImport], dataset) -> None:
    """Rename the columns known by another name (an export's header) to the import's own."""
    headers = list(dataset.headers)
    for index, header in enumerate(headers):
        own = resource_class.aliases.get(header)
        if own and own not in headers:
            headers[index] = own
    dataset.headers = headers


def check_headers(resource_class: type[DeskImport], dataset) -> list[RowProblem]:
    missing = [c for c in resource_class.required if c not in dataset.headers]
    if missing:
        return [RowProblem(1, c, f"Your file has no '{c}' column. The first line must be: "
                                 f"{','.join(resource_class.columns)}") for c in missing]
    if not len(dataset):
        return [RowProblem(2, "", "The file has no lines under the header.")]
    return []


def check_business_column(dataset, business) -> list[RowProblem]:
    """A file exported from the desk names each line's business: a line of another business is
    not imported into this one by mistake (an export of all businesses, re-imported)."""
    if "business" not in dataset.headers:
        return []
    index = dataset.headers.index("business")
    problems = []
    for line, row in enumerate(dataset, start=2):
        code = str(row[index] if row[index] is not None else "").strip()
        if code and code.lower() != business.code.lower():
            problems.append(RowProblem(line, "business", f"This line is for the business '{code}', not "
                                                         f"{business}. Import it there, or delete the line."))
    return problems


def run_import(spec: ImportSpec, dataset, *, business, user, dry_run: bool) -> Outcome:
    """Dry run: nothing is kept. Otherwise every row is written, or none (any problem rolls the
    whole file back)."""
    resource_class = spec.resource_class
    use_aliases(resource_class, dataset)
    problems = check_headers(resource_class, dataset) or check_business_column(dataset, business)
    if problems:
        return Outcome(problems=problems)
    resource = resource_class(business=business, user=user)
    with transaction.atomic():
        result = resource.import_data(dataset, dry_run=dry_run, use_transactions=True, raise_errors=False,
                                      rollback_on_validation_errors=True)
        problems = _problems(resource, result)
        if dry_run or problems:
            transaction.set_rollback(True)
    totals = result.totals
    return Outcome(new=totals["new"], updated=totals["update"], unchanged=totals["skip"], problems=problems,
                   committed=not dry_run and not problems)
