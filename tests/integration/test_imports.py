"""Spreadsheet imports: dry run first, plain-English row errors, all or nothing, permission, size cap."""

import io
import os
import time
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from modules.core.businesses.models import Business
from modules.core.exports import imports, services
from modules.core.exports.models import ExportJob, SupplierPrice
from modules.core.inventory.models import Item, Location, StockLevel, StockMovement
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import JournalEntry, JournalLine
from modules.core.purchasing.models import Supplier
from modules.core.customers import services as customers
from modules.core.customers.models import CustomerPhone


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path / "exports"
    return settings.EXPORTS_ROOT


def csv_file(text, name="file.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def upload(client, kind, text, business="water", name="file.csv"):
    return client.post(reverse("admin:exports:import"), {
        "kind": kind, "business": business, "file": csv_file(text, name) if isinstance(text, str) else text})


def token_of(response):
    return response.context["token"]


def uploads(export_dir):
    folder = export_dir / "imports"
    return list(folder.iterdir()) if folder.exists() else []


def water():
    return Business.objects.get(code="water")


def trial_balance_is_balanced():
    rows = ledger.trial_balance()
    return sum(r["debit"] for r in rows) == sum(r["credit"] for r in rows)


# --- items --------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_items_dry_run_shows_counts_writes_nothing_then_confirm_writes(login, export_dir):
    client = login("owner")
    refill = Item.objects.get(sku="W-REFILL-20")
    sachet = Item.objects.get(sku="W-SACHET")
    before = Item.objects.count()
    text = ("SKU,Name,Price,Unit\n"
            "W-NEW-1,Ice cubes 2 kg,150,bag\n"
            "W-NEW-2,Dispenser hire,\"1,200.00\",\n"
            f"{refill.sku},{refill.name},130,{refill.unit}\n"  # a new price
            f"{sachet.sku},{sachet.name},{sachet.selling_price},{sachet.unit}\n")  # the same
    preview = upload(client, "items", text)
    assert preview.status_code == 200
    outcome = preview.context["outcome"]
    assert (outcome.new, outcome.updated, outcome.unchanged, outcome.problems) == (2, 1, 1, [])
    assert Item.objects.count() == before and Item.objects.get(pk=refill.pk).selling_price == Decimal("120")
    assert b"data-confirm-import" in preview.content and len(uploads(export_dir)) == 1

    done = client.post(reverse("admin:exports:import_confirm"), {"token": token_of(preview)})
    assert done.status_code == 302
    assert Item.objects.count() == before + 2
    assert Item.objects.get(business=water(), sku="W-NEW-2").selling_price == Decimal("1200.00")
    assert Item.objects.get(business=water(), sku="W-NEW-2").unit == "piece"
    assert Item.objects.get(pk=refill.pk).selling_price == Decimal("130")
    assert uploads(export_dir) == []  # the temporary file is gone
    audit = ExportJob.objects.get(mode="import")
    assert (audit.kind, audit.rows_done, audit.filters["business"]) == ("import.items", 3, "water")
    # the same token cannot be used twice
    again = client.post(reverse("admin:exports:import_confirm"), {"token": token_of(preview)})
    assert again.status_code == 302 and Item.objects.count() == before + 2


@pytest.mark.django_db
def test_one_bad_row_in_a_thousand_writes_nothing_and_points_at_it(demo, login, export_dir):
    lines = ["sku,name,price"] + [f"BULK-{n:04d},Bulk item {n},{100 + n}" for n in range(1000)]
    lines[538] = "BULK-0537,Bulk item 537,abc"  # the 538th data line is line 539 of the file
    text = "\n".join(lines) + "\n"
    client = login("owner")
    preview = upload(client, "items", text)
    outcome = preview.context["outcome"]
    assert len(outcome.problems) == 1
    problem = outcome.problems[0]
    assert (problem.row, problem.column) == (539, "price")
    assert problem.message == "Write the price as a number, like 150 or 150.50."
    assert b'data-error-row="539"' in preview.content and b"Nothing was saved" in preview.content
    assert b"data-confirm-import" not in preview.content and preview.context["token"] is None
    assert uploads(export_dir) == []
    assert not Item.objects.filter(sku__startswith="BULK").exists()

    # even if committed directly (no preview), it is all or nothing
    dataset = imports.read_dataset(text.encode(), "csv")
    outcome = imports.run_import(imports.KINDS["items"], dataset, business=water(),
                                 user=User.objects.get(username="owner"), dry_run=False)
    assert not outcome.committed and outcome.problems[0].row == 539
    assert not Item.objects.filter(sku__startswith="BULK").exists()

    # fixed, it all goes in
    lines[538] = "BULK-0537,Bulk item 537,637"
    outcome = imports.run_import(imports.KINDS["items"], imports.read_dataset("\n".join(lines).encode(), "csv"),
                                 business=water(), user=User.objects.get(username="owner"), dry_run=False)
    assert outcome.committed and outcome.new == 1000
    assert Item.objects.filter(sku__startswith="BULK").count() == 1000


@pytest.mark.django_db
def test_error_messages_are_plain_and_name_the_column(login):
    client = login("owner")
    text = "sku,name,price,unit\n,No code,10,\nW-X,,10,\nW-Y,Negative,-5,\nW-Z,Too exact,1.234,\n"
    problems = upload(client, "items", text).context["outcome"].problems
    assert [(p.row, p.column, p.message) for p in problems] == [
        (2, "sku", "Write the item's SKU (its code or barcode)."),
        (3, "name", "Write the item's name."),
        (4, "price", "The price cannot be below 0."),
        (5, "price", "Use at most 2 digits after the point for the price."),
    ]
    missing = upload(client, "items", "sku,name\nA,B\n").context["outcome"].problems
    assert missing[0].message.startswith("Your file has no 'price' column. The first line must be: sku,name,price")


@pytest.mark.django_db
def test_xlsx_files_import_too(login):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["SKU", "Name", "Price"])
    sheet.append([1001, "Barcode item", 99.5])  # Excel gives numbers back as numbers
    buffer = io.BytesIO()
    workbook.save(buffer)
    client = login("owner")
    file = SimpleUploadedFile("items.xlsx", buffer.getvalue())
    preview = upload(client, "items", file)
    assert preview.context["outcome"].new == 1, preview.context["outcome"].problems
    client.post(reverse("admin:exports:import_confirm"), {"token": token_of(preview)})
    item = Item.objects.get(business=water(), sku="1001")
    assert item.selling_price == Decimal("99.50")


# --- opening stock ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_opening_stock_posts_movements_and_ledger_entries(login):
    client = login("owner")
    bottle = Item.objects.get(sku="W-BOTTLE-20")  # cost 380
    sachet = Item.objects.get(sku="W-SACHET")  # cost 4
    store = Location.objects.create(business=water(), name="Store")
    assert not JournalEntry.objects.exists()
    text = "sku,quantity,location\nW-BOTTLE-20,10,\nW-SACHET,500,store\n"
    preview = upload(client, "opening_stock", text)
    assert preview.context["outcome"].new == 2 and not preview.context["outcome"].problems
    assert not JournalEntry.objects.exists() and not StockMovement.objects.exists()  # the dry run left nothing

    client.post(reverse("admin:exports:import_confirm"), {"token": token_of(preview)})
    assert StockLevel.objects.get(item=bottle, location__is_default=True).quantity == 10
    assert StockLevel.objects.get(item=sachet, location=store).quantity == 500
    assert JournalEntry.objects.count() == 2
    inventory = JournalLine.objects.filter(account__code=chart.INVENTORY, business=water())
    assert sum(line.debit for line in inventory) == Decimal("3800.00") + Decimal("2000.00")
    assert trial_balance_is_balanced()

    # importing it again is refused: opening stock happens once per item and place
    problems = upload(client, "opening_stock", text).context["outcome"].problems
    assert [p.row for p in problems] == [2, 3]
    assert problems[0].message == "20 L bottle with water already has opening stock at Shop floor. Use a stock count to correct it."
    assert JournalEntry.objects.count() == 2


@pytest.mark.django_db
def test_opening_stock_errors_in_plain_words(login):
    client = login("owner")
    text = "sku,quantity,location\nNOPE,1,\nW-REFILL-20,1,\nW-SACHET,0,\nW-SACHET,5,Garage\n"
    problems = upload(client, "opening_stock", text).context["outcome"].problems
    messages = {(p.row, p.column): p.message for p in problems}
    assert messages[(2, "sku")].startswith("There is no item with SKU NOPE in")
    assert messages[(3, "sku")] == "20 L refill is a service: it has no stock to count."
    assert messages[(4, "quantity")] == "Write a number above 0."
    assert messages[(5, "location")].startswith("There is no place called Garage.")
    assert not JournalEntry.objects.exists()


# --- customers and supplier prices ----------------------------------------------------------------

@pytest.mark.django_db
def test_customers_by_phone(login):
    customers.find_or_create("254712000001", name="Old name")
    client = login("owner")
    text = "phone,name\n0712 000 001,Amina\n+254722000002,Baraka\n12345,Bad\n"
    problems = upload(client, "customers", text).context["outcome"].problems
    assert [(p.row, p.column, p.message) for p in problems] == [
        (4, "phone", "12345 is not a phone number. Write it like 0712 345 678.")]
    preview = upload(client, "customers", "phone,name\n0712 000 001,Amina\n+254722000002,Baraka\n")
    outcome = preview.context["outcome"]
    assert (outcome.new, outcome.updated) == (1, 1)
    client.post(reverse("admin:exports:import_confirm"), {"token": token_of(preview)})
    assert dict(CustomerPhone.objects.values_list("phone", "customer__name")) == {
        "254712000001": "Amina", "254722000002": "Baraka"}


@pytest.mark.django_db
def test_supplier_price_list(login):
    Supplier.objects.create(business=water(), name="Kisumu Plastics")
    client = login("owner")
    text = "supplier,sku,unit_cost\nkisumu plastics,W-BOTTLE-20,350.5\nNobody Ltd,W-SACHET,3\n"
    problems = upload(client, "supplier_prices", text).context["outcome"].problems
    assert [(p.row, p.column) for p in problems] == [(3, "supplier")]
    assert problems[0].message.startswith("There is no supplier called Nobody Ltd.")
    preview = upload(client, "supplier_prices", "supplier,sku,unit_cost\nKisumu Plastics,W-BOTTLE-20,350.5\n")
    client.post(reverse("admin:exports:import_confirm"), {"token": token_of(preview)})
    price = SupplierPrice.objects.get()
    assert (price.item.sku, price.unit_cost, price.business.code) == ("W-BOTTLE-20", Decimal("350.5"), "water")
    again = upload(client, "supplier_prices", "supplier,sku,unit_cost\nKisumu Plastics,W-BOTTLE-20,350.50\n")
    assert again.context["outcome"].unchanged == 1


# --- permission, scope, size ----------------------------------------------------------------------

@pytest.mark.django_db
def test_import_needs_its_own_permission_and_stays_in_the_users_business(login):
    client = login("water_staff")
    assert client.get(reverse("admin:exports:import")).status_code == 403
    assert login("accountant").get(reverse("admin:exports:import")).status_code == 403
    User.objects.get(username="water_staff").groups.add(Group.objects.get(name="Importer"))
    client = login("water_staff")
    assert client.get(reverse("admin:exports:import")).status_code == 200
    response = upload(client, "items", "sku,name,price\nL-1,Not mine,10\n", business="laundry")
    assert response.status_code == 200 and "business" in response.context["form"].errors
    assert not Item.objects.filter(sku="L-1").exists()
    preview = upload(client, "items", "sku,name,price\nW-MINE,Mine,10\n", business="water")
    client.post(reverse("admin:exports:import_confirm"), {"token": token_of(preview)})
    assert Item.objects.get(sku="W-MINE").business.code == "water"
    # another user cannot confirm somebody else's upload (the token lives in the uploader's session)
    preview = upload(client, "items", "sku,name,price\nW-MINE2,Mine,10\n", business="water")
    owner = login("owner")
    owner.post(reverse("admin:exports:import_confirm"), {"token": token_of(preview)})
    assert not Item.objects.filter(sku="W-MINE2").exists()


@pytest.mark.django_db
def test_uploads_are_capped_with_a_clear_message(login, settings, export_dir):
    settings.EXPORTS_UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    big = "sku,name,price\n" + "X" * (2 * 1024 * 1024)
    response = upload(login("owner"), "items", big)
    errors = response.context["form"].errors["file"]
    assert errors == ["This file is too big (2.0 MB). The limit is 2 MB: split it into smaller files."]
    assert uploads(export_dir) == []
    response = upload(login("owner"), "items", "hello", name="notes.txt")
    assert response.context["form"].errors["file"] == ["Choose a CSV file or an Excel .xlsx file."]


@pytest.mark.django_db
def test_unreadable_files_and_abandoned_uploads(login, export_dir):
    from modules.core.exports import jobs

    client = login("owner")
    bad = SimpleUploadedFile("broken.xlsx", b"not really excel")
    problems = upload(client, "items", bad).context["outcome"].problems
    assert problems[0].message.startswith("This file could not be read.")
    preview = upload(client, "items", "sku,name,price\nW-LATER,Later,10\n")  # previewed, never confirmed
    assert len(uploads(export_dir)) == 1
    old = time.time() - 2 * 3600
    for path in uploads(export_dir):
        os.utime(path, (old, old))
    jobs.cleanup()
    assert uploads(export_dir) == []
    response = client.post(reverse("admin:exports:import_confirm"), {"token": token_of(preview)})
    assert response.status_code == 200 and not Item.objects.filter(sku="W-LATER").exists()
    assert services.exports_root().exists()
