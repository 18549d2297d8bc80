"""Spreadsheet imports: dry run first, plain-English row errors, all or nothing, permission, size cap,
exports that go back in, and hostile files (zip bombs) refused before they are unpacked."""

import io
import os
import struct
import time
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from modules.core.businesses.models import Business
from modules.core.exports import imports, services, spreadsheets
from modules.core.exports.models import ExportJob
from modules.core.exports.specs import all_imports, import_spec, spec
from modules.core.inventory.models import Item, Location, StockLevel, StockMovement
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import JournalEntry, JournalLine
from modules.core.purchasing.models import Supplier, SupplierPrice
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
    dataset = spreadsheets.read_dataset(text.encode(), "csv")
    outcome = imports.run_import(import_spec("items"), dataset, business=water(),
                                 user=User.objects.get(username="owner"), dry_run=False)
    assert not outcome.committed and outcome.problems[0].row == 539
    assert not Item.objects.filter(sku__startswith="BULK").exists()

    # fixed, it all goes in
    lines[538] = "BULK-0537,Bulk item 537,637"
    outcome = imports.run_import(import_spec("items"), spreadsheets.read_dataset("\n".join(lines).encode(), "csv"),
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
def test_an_importer_never_renames_or_reveals_another_business_s_customer(login):
    laundry_customer = customers.find_or_create("254712000009", name="Wanjiku (laundry)")
    laundry_customer.businesses.add(Business.objects.get(code="laundry"))
    User.objects.get(username="water_staff").groups.add(Group.objects.get(name="Importer"))
    client = login("water_staff")
    # the dry run reads the same for another business's number as for an unknown one
    preview = upload(client, "customers", "phone,name\n0712 000 009,Renamed\n0712 000 010,New one\n")
    outcome = preview.context["outcome"]
    assert (outcome.new, outcome.updated) == (2, 0)
    client.post(reverse("admin:exports:import_confirm"), {"token": token_of(preview)})
    laundry_customer.refresh_from_db()
    assert laundry_customer.name == "Wanjiku (laundry)"  # not renamed by another business's staff
    assert set(laundry_customer.businesses.values_list("code", flat=True)) == {"laundry", "water"}
    assert CustomerPhone.objects.filter(phone="254712000009").count() == 1
    # the owner sees every business: the same file renames
    client = login("owner")
    preview = upload(client, "customers", "phone,name\n0712 000 009,Wanjiku Kamau\n")
    assert preview.context["outcome"].updated == 1
    client.post(reverse("admin:exports:import_confirm"), {"token": token_of(preview)})
    laundry_customer.refresh_from_db()
    assert laundry_customer.name == "Wanjiku Kamau"


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
    assert response.status_code == 400 and "business" in response.context["form"].errors
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
    assert response.status_code == 400
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
    refused = upload(client, "items", bad)
    assert refused.status_code == 400 and uploads(export_dir) == []
    assert refused.context["form"].errors["file"][0].startswith("This file could not be read.")
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


# --- exports go back in -----------------------------------------------------------------------------

def test_every_import_is_declared_by_its_module_and_names_an_export_that_exists():
    declared = {s.key: s for s in all_imports()}
    assert set(declared) == {"items", "opening_stock", "customers", "supplier_prices"}
    for key, found in declared.items():
        assert issubclass(found.resource_class, imports.DeskImport), key
        assert found.export is None or spec(found.export) is not None, key
    assert {s.export for s in declared.values()} - {None} == {
        "inventory.items", "customers.customers", "purchasing.supplier_prices"}


def desk_export(client, kind, file_format):
    response = client.post(reverse("admin:exports:desk"), {"kind": kind, "business": "water",
                                                           "file_format": file_format})
    assert response.status_code == 200, response
    return SimpleUploadedFile(f"export.{file_format}", response.content)


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_each_export_goes_back_in_through_its_import_unchanged(login, file_format):
    """Issue 11 §4: the item export's selling_price was not the import's price, so an exported
    file could not go back in. Every import that names an export takes that export's file."""
    supplier = Supplier.objects.create(business=water(), name="Kisumu Plastics")
    SupplierPrice.objects.create(business=water(), supplier=supplier, item=Item.objects.get(sku="W-BOTTLE-20"),
                                 unit_cost=Decimal("350.5"))
    customers.find_or_create("254712000001", name="=Amina").businesses.add(water())  # a formula-like name
    client = login("owner")
    round_trips = [s for s in all_imports() if s.export]
    for declared in round_trips:
        exported = desk_export(client, declared.export, file_format)
        preview = upload(client, declared.key, exported, name=exported.name)
        assert preview.status_code == 200, (declared.key, preview.context["form"].errors)
        outcome = preview.context["outcome"]
        assert outcome.problems == [], (declared.key, outcome.problems)
        assert (outcome.new, outcome.updated) == (0, 0), declared.key
        assert outcome.unchanged == spec(declared.export).model.objects.filter(
            **({"businesses": water()} if declared.key == "customers" else {"business": water()})).count() > 0


@pytest.mark.django_db
def test_an_edited_item_export_updates_prices_and_refuses_another_business_lines(login):
    client = login("owner")
    exported = desk_export(client, "inventory.items", "csv").read().decode("utf-8-sig")
    lines = exported.splitlines()
    assert lines[0].split(",")[:6] == ["id", "business", "sku", "name", "unit", "selling_price"]
    sachet = Item.objects.get(sku="W-SACHET")
    edited = [line.replace(f",{sachet.selling_price:f},", ",12.00,") if ",W-SACHET," in line else line
              for line in lines]
    preview = upload(client, "items", "\n".join(edited) + "\n")
    assert (preview.context["outcome"].updated, preview.context["outcome"].problems) == (1, [])
    client.post(reverse("admin:exports:import_confirm"), {"token": token_of(preview)})
    assert Item.objects.get(pk=sachet.pk).selling_price == Decimal("12.00")
    # a line of another business (an export of all businesses) is not imported into this one
    laundry_line = lines[1].split(",")
    laundry_line[1:3] = ["laundry", "L-WASH-KG"]
    problems = upload(client, "items", "\n".join([lines[0], ",".join(laundry_line)]) + "\n").context["outcome"].problems
    assert [(p.row, p.column) for p in problems] == [(2, "business")]
    assert problems[0].message.startswith("This line is for the business 'laundry'")


# --- hostile files: refused before they are unpacked ------------------------------------------------

SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns='
              '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = "</sheetData></worksheet>"


def inline_row(*cells):
    return "<row>" + "".join(f'<c t="inlineStr"><is><t>{c}</t></is></c>' for c in cells) + "</row>"


def xlsx_from_rows(path, rows):
    """A real XLSX (openpyxl's own package) whose sheet is a header line, then ``rows`` (XML text
    chunks), streamed through deflate: nothing the size of the sheet is ever held in memory."""
    skeleton = io.BytesIO()
    Workbook().save(skeleton)
    with zipfile.ZipFile(skeleton) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for member in source.infolist():
            if member.filename != SHEET:
                out.writestr(member, source.read(member))
        with out.open(SHEET, "w") as sheet:
            sheet.write((SHEET_HEAD + inline_row("sku", "name", "price")).encode())
            for chunk in rows:
                sheet.write(chunk.encode())
            sheet.write(SHEET_TAIL.encode())
    return path


def declared_size(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(member.file_size for member in archive.infolist())


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory):
    """Like the review's bomb (144 KB that unpacks to 77 MB): about 300 KB of deflated rows that
    unpack to 76 MB of sheet."""
    row = inline_row("W-BOMB", "Boom", "1")
    chunk = row * 10_000
    rows = (chunk for _ in range(77 * 1024 * 1024 // len(chunk)))
    return xlsx_from_rows(tmp_path_factory.mktemp("bomb") / "prices.xlsx", rows).read_bytes()


def peak_while(read):
    """(what ``read`` raised, the peak of Python memory it allocated)."""
    tracemalloc.start()
    try:
        with pytest.raises(spreadsheets.FileProblem) as refused:
            read()
        return refused.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_zip_bomb_is_refused_by_its_declared_size_before_anything_is_unpacked(zip_bomb):
    assert len(zip_bomb) < 512 * 1024 and declared_size(zip_bomb) > 75 * 1024 * 1024  # a real bomb
    refused, peak = peak_while(lambda: spreadsheets.read_dataset(zip_bomb, "xlsx"))
    assert refused.messages[0].startswith("This Excel file unpacks to 76.1 MB, more than an import takes (32.0 MB).")
    assert peak < 1024 * 1024  # before: the whole sheet was parsed into rows (hundreds of MB)


def test_a_bomb_that_lies_about_its_size_is_cut_at_the_size_it_declares(zip_bomb):
    """The check trusts the declared sizes because zipfile inflates no further than them."""
    data = bytearray(zip_bomb)
    entry = data.index(b"PK\x01\x02")  # the central directory: one entry per member
    while data[entry + 46:entry + 46 + struct.unpack_from("<H", data, entry + 28)[0]] != SHEET.encode():
        entry = data.index(b"PK\x01\x02", entry + 4)
    struct.pack_into("<I", data, entry + 24, 4096)  # "the sheet unpacks to 4 KB"
    liar = bytes(data)
    assert declared_size(liar) < 64 * 1024
    refused, peak = peak_while(lambda: spreadsheets.read_dataset(liar, "xlsx"))
    assert refused.messages == [spreadsheets.UNREADABLE]  # cut at 4 KB: broken XML, a wrong checksum
    assert peak < 1024 * 1024


def test_a_member_packed_far_tighter_than_a_spreadsheet_is_refused(tmp_path):
    row = inline_row("W-DENSE", "Dense", "1")
    chunk = row * 10_000
    dense = xlsx_from_rows(tmp_path / "dense.xlsx", (chunk for _ in range(8 * 1024 * 1024 // len(chunk)))).read_bytes()
    assert declared_size(dense) < spreadsheets.max_unzipped_bytes()  # under the size cap
    refused, peak = peak_while(lambda: spreadsheets.read_dataset(dense, "xlsx"))
    assert "to 1, far tighter than a spreadsheet" in refused.messages[0]
    assert peak < 1024 * 1024


def test_rows_past_the_cap_are_never_read(tmp_path, settings):
    settings.EXPORTS_IMPORT_MAX_ROWS = 1_000
    rows = (inline_row(f"W-{n:06d}", f"Item {n * 7919 % 100_003}", f"{n % 997}.{n % 89:02d}") for n in range(60_000))
    sheet = xlsx_from_rows(tmp_path / "long.xlsx", rows).read_bytes()
    assert declared_size(sheet) < spreadsheets.max_unzipped_bytes() and len(sheet) < 2 * 1024 * 1024  # a fair file
    refused, capped_peak = peak_while(lambda: spreadsheets.read_dataset(sheet, "xlsx"))
    assert refused.messages == ["The file has more than 1,000 lines: split it into files of at most 1,000 lines."]
    settings.EXPORTS_IMPORT_MAX_ROWS = 60_000  # the same file, read whole under a higher cap
    tracemalloc.start()
    try:
        assert len(spreadsheets.read_dataset(sheet, "xlsx")) == 60_000
        full_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # 1,001 rows parsed, not 60,000 (before: the whole sheet was read, then the count refused).
    # About 5 MB of the capped peak is openpyxl's workbook itself.
    assert capped_peak * 3 < full_peak


@pytest.mark.django_db
def test_uploading_a_zip_bomb_answers_400_with_a_plain_message_and_keeps_nothing(login, export_dir, zip_bomb):
    response = upload(login("owner"), "items", SimpleUploadedFile("prices.xlsx", zip_bomb), name="prices.xlsx")
    assert response.status_code == 400
    assert response.context["form"].errors["file"][0].startswith("This Excel file unpacks to 76.1 MB")
    assert b"data-field-error" in response.content and uploads(export_dir) == []
    assert not Item.objects.filter(sku="W-BOMB").exists()
