"""Spreadsheet imports with a dry run first: items and prices, opening stock, customers and
supplier price lists. Built on django-import-export; every message is plain English for the
person at the counter, and a confirmed import is all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import tablib
from django.core.exceptions import ValidationError
from django.db import transaction
from import_export import fields, resources, widgets

from modules.core.customers.models import Customer, CustomerPhone
from modules.core.inventory import services as inventory
from modules.core.inventory.models import Item, Location, StockMovement
from modules.core.payments.phones import normalize_phone
from modules.core.purchasing.models import Supplier
from modules.core.registry.refusals import Refusal

from .models import SupplierPrice

MAX_ROWS = 20_000


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


class ItemImport(DeskImport):
    sku = text("sku", "sku")
    name = text("name", "name")
    price = amount("selling_price", "price", "Write the price as a number, like 150 or 150.50.")
    unit = text("unit", "unit")
    columns = ("sku", "name", "price", "unit")
    required = ("sku", "price")

    class Meta:
        model = Item
        fields = ("sku", "name", "price", "unit")
        import_id_fields = ("sku",)
        skip_unchanged = True
        report_skipped = True
        skip_diff = False
        clean_model_instances = False

    def get_queryset(self):
        return Item.objects.filter(business=self.business)

    def init_instance(self, row=None):
        return Item(business=self.business, unit="piece")

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if not instance.sku:
            errors["sku"] = "Write the item's SKU (its code or barcode)."
        elif len(instance.sku) > 40:
            errors["sku"] = "The SKU is too long: use at most 40 letters."
        if not instance.name:
            errors["name"] = "Write the item's name."
        elif len(instance.name) > 120:
            errors["name"] = "The name is too long: use at most 120 letters."
        if "selling_price" not in errors:
            if instance.selling_price is None:
                errors["selling_price"] = "Write the price, like 150 or 150.50."
            elif instance.selling_price < 0:
                errors["selling_price"] = "The price cannot be below 0."
            elif instance.selling_price >= Decimal("1e10"):
                errors["selling_price"] = "This price is too big."
            else:
                check_places(instance.selling_price, errors, "selling_price", decimals=2, what="price")
        if "selling_price" not in errors and instance.pk and not (self.user and self.user.has_perm("inventory.set_prices")):
            was = Item.objects.filter(pk=instance.pk).values_list("selling_price", flat=True).first()
            if was is not None and was != instance.selling_price:
                errors["selling_price"] = (f"Only the owner changes prices: {instance.sku} costs {was} now. "
                                           "Import new items only, or ask the owner.")
        if instance.unit and len(instance.unit) > 20:
            errors["unit"] = "The unit is too long: use at most 20 letters (piece, kg, litre…)."
        self.raise_if(errors)


class OpeningStockRow:
    """One line of an opening stock file (not a model: saving it posts movements and money)."""

    pk = None
    sku = location = quantity = None


class OpeningStockImport(DeskImport):
    sku = text("sku", "sku")
    location = text("location", "location")
    quantity = amount("quantity", "quantity", "Write how many, like 24 or 2.5.")
    columns = ("sku", "quantity", "location")
    required = ("sku", "quantity")

    class Meta:
        model = StockMovement
        fields = ("sku", "location", "quantity")
        import_id_fields = ("sku",)
        skip_diff = True
        clean_model_instances = False

    def get_or_init_instance(self, instance_loader, row):
        return OpeningStockRow(), True

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        item = location = None
        if not instance.sku:
            errors["sku"] = "Write the item's SKU (its code or barcode)."
        else:
            item = Item.objects.filter(business=self.business, sku=instance.sku).first()
            if item is None:
                errors["sku"] = (f"There is no item with SKU {instance.sku} in {self.business}. "
                                 "Add it with an 'Items and prices' import first.")
            elif not item.tracks_stock:
                errors["sku"] = f"{item.name} is a service: it has no stock to count."
        if instance.location:
            location = Location.objects.filter(business=self.business, name__iexact=instance.location).first()
            if location is None:
                names = ", ".join(Location.objects.filter(business=self.business).values_list("name", flat=True))
                errors["location"] = f"There is no place called {instance.location}. Places are: {names or 'none yet'}."
        elif item is not None:
            location = inventory.default_location(self.business)
        if "quantity" not in errors:
            if instance.quantity is None:
                errors["quantity"] = "Write how many, like 24."
            elif instance.quantity <= 0:
                errors["quantity"] = "Write a number above 0."
            elif instance.quantity >= Decimal("1e9"):
                errors["quantity"] = "This number is too big."
            else:
                check_places(instance.quantity, errors, "quantity", decimals=3, what="quantity")
        if item is not None and location is not None and "sku" not in errors and StockMovement.objects.filter(
                item=item, location=location, kind=StockMovement.Kind.ADJUSTMENT, reason="Opening stock").exists():
            errors["sku"] = (f"{item.name} already has opening stock at {location.name}. "
                             "Use a stock count to correct it.")
        self.raise_if(errors)
        instance.item, instance.place = item, location

    def save_instance(self, instance, is_create, row, **kwargs):
        # Inside the import's transaction: a dry run is rolled back, a failed import too.
        inventory.receive_opening_stock(instance.item, instance.quantity, instance.place, user=self.user)

    def save_m2m(self, instance, row, **kwargs):
        pass


class CustomerImport(DeskImport):
    """Customers by phone number: a known number's customer gets the name, a new number a new
    customer; either way they deal with the importing business from then on."""

    phone = text("phone", "phone")
    name = text("name", "name")
    columns = ("phone", "name")
    required = ("phone",)

    class Meta:
        model = Customer
        fields = ("phone", "name")
        import_id_fields = ("phone",)
        skip_unchanged = True
        report_skipped = True
        skip_diff = False
        clean_model_instances = False

    def before_import_row(self, row, **kwargs):
        raw = row.get("phone")
        if raw not in (None, ""):
            try:
                row["phone"] = normalize_phone(Text().clean(raw) or "")
            except ValidationError:
                pass

    def get_instance(self, instance_loader, row):
        """The customer who has this number (phones live in their own table)."""
        found = CustomerPhone.objects.filter(phone=row.get("phone")).select_related("customer").first()
        if found is None:
            return None
        found.customer.phone = found.phone
        return found.customer

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            instance.phone = normalize_phone(instance.phone or "")
        except ValidationError:
            errors["phone"] = ("Write the phone number" if not instance.phone else
                               f"{instance.phone} is not a phone number. Write it like 0712 345 678.")
        if instance.name and len(instance.name) > 80:
            errors["name"] = "The name is too long: use at most 80 letters."
        self.raise_if(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        # Inside the import's transaction: a dry run is rolled back, a failed import too.
        super().save_instance(instance, is_create, row, **kwargs)
        if is_create:
            CustomerPhone.objects.create(customer=instance, phone=instance.phone)
        if self.business is not None:
            instance.businesses.add(self.business)


class SupplierPriceImport(DeskImport):
    supplier_name = text("supplier_name", "supplier")
    sku = text("sku", "sku")
    unit_cost = amount("unit_cost", "unit_cost", "Write the cost as a number, like 95 or 95.50.")
    columns = ("supplier", "sku", "unit_cost")
    required = ("supplier", "sku", "unit_cost")

    class Meta:
        model = SupplierPrice
        fields = ("supplier_name", "sku", "unit_cost")
        import_id_fields = ("sku",)
        skip_unchanged = True
        report_skipped = True
        skip_diff = False
        clean_model_instances = False

    def get_or_init_instance(self, instance_loader, row):
        errors = {}
        supplier_name, sku = Text().clean(row.get("supplier")), Text().clean(row.get("sku"))
        supplier = item = None
        if not supplier_name:
            errors["supplier_name"] = "Write the supplier's name."
        else:
            supplier = Supplier.objects.filter(business=self.business, name__iexact=supplier_name).first()
            if supplier is None:
                errors["supplier_name"] = (f"There is no supplier called {supplier_name}. "
                                           "Add the supplier first (Purchasing → Suppliers).")
        if not sku:
            errors["sku"] = "Write the item's SKU (its code or barcode)."
        else:
            item = Item.objects.filter(business=self.business, sku=sku).first()
            if item is None:
                errors["sku"] = f"There is no item with SKU {sku} in {self.business}."
        self.raise_if(errors)
        instance = SupplierPrice.objects.filter(supplier=supplier, item=item).first()
        if instance is not None:
            instance.supplier_name, instance.sku = supplier_name, sku
            return instance, False
        new = SupplierPrice(business=self.business, supplier=supplier, item=item)
        new.supplier_name, new.sku = supplier_name, sku
        return new, True

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if "unit_cost" not in errors:
            if instance.unit_cost is None:
                errors["unit_cost"] = "Write the cost, like 95 or 95.50."
            elif instance.unit_cost < 0:
                errors["unit_cost"] = "The cost cannot be below 0."
            elif instance.unit_cost >= Decimal("1e8"):
                errors["unit_cost"] = "This cost is too big."
            else:
                check_places(instance.unit_cost, errors, "unit_cost", decimals=4, what="cost")
        self.raise_if(errors)


@dataclass(frozen=True)
class ImportKind:
    key: str
    label: str
    resource: type[DeskImport]
    help: str


KINDS = {
    "items": ImportKind("items", "Items and prices", ItemImport,
                        "Adds new items and updates the name, price and unit of items with the same SKU."),
    "opening_stock": ImportKind("opening_stock", "Opening stock", OpeningStockImport,
                                "Counts stock in on day one: each line adds stock and posts its value "
                                "(Inventory / Owner's equity). An item gets opening stock once per place."),
    "customers": ImportKind("customers", "Customers", CustomerImport,
                            "Adds customers by phone number; a known phone gets its name updated."),
    "supplier_prices": ImportKind("supplier_prices", "Supplier price list", SupplierPriceImport,
                                  "What each supplier charges for each item (used when ordering)."),
}


class FileProblem(Refusal):
    """The file cannot be read at all; the message is for the user."""


def read_dataset(data: bytes, extension: str) -> tablib.Dataset:
    """A dataset with normalised headers ("Unit cost" → unit_cost) and no blank lines."""
    try:
        if extension == "xlsx":
            dataset = tablib.Dataset().load(data, format="xlsx")
        else:
            try:
                content = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                content = data.decode("cp1252", errors="replace")
            dataset = tablib.Dataset().load(content, format="csv")
    except Exception as error:  # noqa: BLE001 - any parser error means the same to the user
        raise FileProblem("This file could not be read. Save it as CSV (comma separated) or Excel (.xlsx) "
                          "and try again.") from error
    headers = [str(h or "").strip().lower().replace(" ", "_") for h in (dataset.headers or [])]
    rows = [row for row in dataset if any(str(c if c is not None else "").strip() for c in row)]
    clean = tablib.Dataset(headers=headers)
    for row in rows:
        clean.append(row)
    return clean


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


def check_headers(kind: ImportKind, dataset) -> list[RowProblem]:
    missing = [c for c in kind.resource.required if c not in dataset.headers]
    if missing:
        return [RowProblem(1, c, f"Your file has no '{c}' column. The first line must be: "
                                 f"{','.join(kind.resource.columns)}") for c in missing]
    if not len(dataset):
        return [RowProblem(2, "", "The file has no lines under the header.")]
    if len(dataset) > MAX_ROWS:
        return [RowProblem(0, "", f"The file has {len(dataset)} lines: split it into files of "
                                  f"at most {MAX_ROWS} lines.")]
    return []


def run_import(kind: ImportKind, dataset, *, business, user, dry_run: bool) -> Outcome:
    """Dry run: nothing is kept. Otherwise every row is written, or none (any problem rolls the
    whole file back)."""
    problems = check_headers(kind, dataset)
    if problems:
        return Outcome(problems=problems)
    resource = kind.resource(business=business, user=user)
    with transaction.atomic():
        result = resource.import_data(dataset, dry_run=dry_run, use_transactions=True, raise_errors=False,
                                      rollback_on_validation_errors=True)
        problems = _problems(resource, result)
        if dry_run or problems:
            transaction.set_rollback(True)
    totals = result.totals
    return Outcome(new=totals["new"], updated=totals["update"], unchanged=totals["skip"], problems=problems,
                   committed=not dry_run and not problems)
