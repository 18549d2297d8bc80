"""The accountant's files agree with the books: every report CSV holds data rows only (a SUM counts
each figure once), typed cells, month headers a spreadsheet keeps as text, and the figures equal the
ledger's, across the three businesses."""

import csv
import io
import shutil
import subprocess
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import django_rq
import pytest
from openpyxl import load_workbook
from rq import SimpleWorker
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.exports.models import ExportJob
from modules.core.inventory.models import Item
from modules.core.inventory.services import valuation
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account
from modules.core.reports import services as reports
from modules.core.sales import services as sales
from modules.shop import services as shop
from modules.shop.models import CylinderType
from modules.water import services as water
from modules.water.models import ProductionBatch, Recipe

D = Decimal


def business(code):
    return Business.objects.get(code=code)


def sell(code, sku, quantity, method="cash"):
    item = Item.objects.get(business__code=code, sku=sku)
    sales.create_sale(business=business(code), client_uuid=uuid.uuid4(), method=method,
                      lines=[sales.SaleLineInput(item.pk, D(quantity))],
                      customer_phone="0712345670" if method == "mpesa" else "")


@pytest.fixture
def trade(stocked):
    """The full demo (opening stock in the ledger), a water batch made and sold from, a laundry
    service, a shop sale and an LPG refill exchange."""
    staff = User.objects.get(username="water_staff")
    recipe = Recipe.objects.get(product__sku="W-PACK-500x24")
    run = water.start_batch(ProductionBatch.objects.create(business=business("water"), recipe=recipe,
                                                           planned_quantity=7), staff)
    water.post_batch(run, produced=7, rejects=0, user=staff)
    sell("water", "W-PACK-500x24", 5)
    sell("water", "W-SACHET", 13)
    sell("laundry", "L-SUIT", 1)
    sell("shop", "S-SUGAR-1KG", 3, method="mpesa")
    shop.record_lpg(business=business("shop"), client_uuid=uuid.uuid4(), kind="refill",
                    cylinder_type=CylinderType.objects.filter(business__code="shop").first(), method="cash")
    return timezone.localdate()


@pytest.fixture
def accountant(client, trade):
    client.force_login(User.objects.get(username="accountant"))
    return client


def rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def column(table, label) -> list[str]:
    index = table[0].index(label)
    return [row[index] for row in table[1:]]


def total(values) -> Decimal:
    return sum((D(v) for v in values if v != ""), D("0"))


def books(code, account) -> Decimal:
    return ledger.balance(Account.objects.get(business__code=code, code=account))


def report(client, key, **query):
    from urllib.parse import urlencode

    return client.get(reverse(f"admin:reports:{key}") + "?" + urlencode({"format": "csv", **query}))


def test_stock_valuation_agrees_with_the_ledger_per_business(accountant):
    for code in ("water", "shop"):
        valued = reports.stock_valuation([business(code)])
        (subtotal,) = [r for r in valued.rows if r["_class"] == "subtotal"]
        assert subtotal["value"] == books(code, chart.INVENTORY)
        # only cents apart before the difference line: each movement was posted at its day's cost
        difference = valuation(code)["difference"][business(code)]
        assert abs(difference) <= D("0.05"), difference
        table = rows(report(accountant, "stock_valuation", business=code))
        assert total(column(table, "Value (KES)")) == books(code, chart.INVENTORY)
        page = rows(accountant.get(reverse("admin:inventory:valuation") + f"?business={code}&format=csv"))
        assert total(column(page, "Value (KES)")) == books(code, chart.INVENTORY)
        assert all("." not in q or not q.endswith("0") for q in column(page, "Quantity")), column(page, "Quantity")
    consolidated = rows(report(accountant, "stock_valuation", business=""))
    assert total(column(consolidated, "Value (KES)")) == books("water", chart.INVENTORY) + books("shop", chart.INVENTORY)


def test_report_csvs_hold_data_rows_only_with_typed_cells(accountant, trade):
    daily = rows(report(accountant, "daily_sales", business="", start=trade, end=trade))
    assert "Total" not in column(daily, "Business") and reports.ALL not in column(daily, "Business")
    assert {b for b in column(daily, "Business")} == {business(c).name for c in ("water", "laundry", "shop")}
    assert all(count.isdigit() for count in column(daily, "Sales")), column(daily, "Sales")
    revenue = sum((revenue_of(code) for code in ("water", "laundry", "shop")), D("0"))
    assert total(column(daily, "Net of VAT (KES)")) == revenue
    assert all(len(v.split(".")[1]) == 2 for v in column(daily, "Taken (KES)") if v)

    pnl = rows(report(accountant, "profit_and_loss", business="", start=trade.replace(day=1), end=trade))
    month = f"{trade:%Y-%m}"
    assert pnl[0] == ["Business", "Part", "Line", month, "Total"]
    assert not {"Total revenue", "Total expenses", "Profit", ""} & set(column(pnl, "Line"))
    assert set(column(pnl, "Part")) == {"Revenue", "Expenses"}  # the sign of a line, without the totals

    trial = rows(report(accountant, "trial_balance", business="", end=trade))
    assert trial[0] == ["Code", "Account", "Debit (KES)", "Credit (KES)"]  # no column repeating one name
    assert total(column(trial, "Debit (KES)")) == total(column(trial, "Credit (KES)")) > 0


def revenue_of(code) -> Decimal:
    """Revenue of one business as the ledger holds it (its revenue accounts' balances)."""
    accounts = Account.objects.filter(business__code=code, kind=Account.Kind.REVENUE)
    return sum((ledger.balance(a) for a in accounts), D("0"))


def test_the_ledger_pages_have_csvs_that_balance(accountant, trade):
    page = accountant.get(reverse("admin:ledger:trial_balance")).content.decode()
    assert "data-csv" in page
    trial = rows(accountant.get(reverse("admin:ledger:trial_balance") + "?business=water&format=csv"))
    assert total(column(trial, "Debit (KES)")) == total(column(trial, "Credit (KES)")) > 0
    cash = [row for row in trial[1:] if row[0] == chart.CASH]
    assert D(cash[0][2]) == books("water", chart.CASH)

    assert "data-csv" in accountant.get(reverse("admin:ledger:profit_and_loss")).content.decode()
    pnl = rows(accountant.get(reverse("admin:ledger:profit_and_loss") + f"?business=shop&start={trade}&end={trade}"
                              "&format=csv"))
    revenue = [row for row in pnl[1:] if row[0] == "Revenue"]
    assert total(r[3] for r in revenue) == revenue_of("shop") > 0
    assert "data-csv" in accountant.get(reverse("admin:inventory:valuation")).content.decode()


def test_the_daily_sales_chart_headline_is_the_tables_net(accountant, trade):
    table = reports.daily_sales([business(c) for c in ("laundry", "shop", "water")], trade.replace(day=1), trade)
    net = sum((r["net"] for r in table.data_rows()), D("0"))
    trend = reports.revenue_trend([business(c) for c in ("laundry", "shop", "water")], trade.replace(day=1), trade)
    assert trend["total"] == net > 0
    page = accountant.get(reverse("admin:reports:daily_sales")).content.decode()
    assert f"data-trend-total>{net:,.2f}<" in page


# --- the files as LibreOffice Calc opens them --------------------------------------------------------

def libreoffice_opens(path: Path, workdir: Path):
    """What the accountant's spreadsheet makes of a file: LibreOffice Calc (headless, Debian's
    libreoffice-calc-nogui, installed by `make tools`) opens it and saves it as XLSX, read back here."""
    out = workdir / "calc"
    result = subprocess.run(
        [shutil.which("soffice") or "soffice", "--headless", "--norestore",
         f"-env:UserInstallation=file://{workdir}/profile", "--convert-to", "xlsx", "--outdir", str(out), str(path)],
        capture_output=True, text=True, timeout=180)
    converted = out / f"{path.stem}.xlsx"
    assert converted.exists(), result.stdout + result.stderr
    return load_workbook(converted).worksheets[0]


def sheet_column(sheet, header):
    headers = [c.value for c in sheet[1]]
    index = headers.index(header)
    return [row[index] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_libreoffice_reads_numbers_dates_and_text_as_meant(accountant, trade, tmp_path, settings,
                                                          django_capture_on_commit_callbacks):
    settings.EXPORTS_ROOT = tmp_path / "exports"
    # the ledger export, made on the desk in the background and downloaded as the accountant does
    with django_capture_on_commit_callbacks(execute=True):
        accountant.post(reverse("admin:exports:desk"), {"kind": "ledger.journal_lines", "file_format": "xlsx",
                                                        "start": trade.replace(day=1), "end": trade})
    django_rq.get_worker("default", worker_class=SimpleWorker).work(burst=True)
    job = ExportJob.objects.get(kind="ledger.journal_lines")
    download = accountant.get(reverse("admin:exports:download", args=[job.pk]))
    assert download.status_code == 200
    (tmp_path / "ledger.xlsx").write_bytes(b"".join(download.streaming_content))
    ledger_sheet = libreoffice_opens(tmp_path / "ledger.xlsx", tmp_path)
    debits, credits = sheet_column(ledger_sheet, "debit"), sheet_column(ledger_sheet, "credit")
    assert all(isinstance(v, (int, float)) for v in debits + credits)  # money cells are numbers
    assert round(sum(debits), 2) == round(sum(credits), 2) > 0
    assert all(isinstance(v, datetime) for v in sheet_column(ledger_sheet, "date"))

    valuation_csv = tmp_path / "valuation.csv"
    valuation_csv.write_bytes(report(accountant, "stock_valuation", business="").content)
    values = sheet_column(libreoffice_opens(valuation_csv, tmp_path), "Value (KES)")
    assert all(isinstance(v, (int, float)) for v in values)
    assert round(sum(values), 2) == float(books("water", chart.INVENTORY) + books("shop", chart.INVENTORY))

    pnl_csv = tmp_path / "pnl.csv"
    pnl_csv.write_bytes(report(accountant, "profit_and_loss", business="", start=trade.replace(day=1),
                               end=trade).content)
    pnl = libreoffice_opens(pnl_csv, tmp_path)
    assert [c.value for c in pnl[1]][3] == f"{trade:%Y-%m}"  # the month stays text, not a date

    daily_csv = tmp_path / "daily.csv"
    daily_csv.write_bytes(report(accountant, "daily_sales", business="", start=trade, end=trade).content)
    counts = sheet_column(libreoffice_opens(daily_csv, tmp_path), "Sales")
    assert counts and all(isinstance(v, int) for v in counts)


def test_xlsx_exports_have_a_bold_frozen_header_dates_as_dates_and_money_with_two_decimals(trade):
    from modules.core.exports import specs, streaming

    def export(key, title):
        spec = next(s for s in specs.all_specs() if s.key == key)
        out = io.BytesIO()
        streaming.write(spec.resource_class(), spec.model.objects.all(), "xlsx", out, title=title)
        sheet = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
        headers = [c.value for c in sheet[1]]
        assert sheet.max_row > 1, key
        return sheet, lambda name: sheet[2][headers.index(name)]

    sheet, cell = export("sales.sales", "Sales (receipts) for November")
    assert sheet.title == "Sales (receipts) for November" and sheet.freeze_panes == "A2"
    assert all(c.font.b for c in sheet[1])
    assert isinstance(cell("total").value, (int, float)) and cell("total").number_format == "#,##0.00"
    assert isinstance(cell("created_at").value, datetime) and cell("created_at").number_format == "yyyy-mm-dd hh:mm"
    assert sheet.column_dimensions[cell("created_at").column_letter].width >= 17  # never ###
    sheet, cell = export("shop.cylindertype", "Cylinder types (LPG) and their deposits")
    assert sheet.title == "Cylinder types (LPG) and their"  # cut at a word, within Excel's 31
    assert isinstance(cell("outright_price").value, (int, float)) and cell("outright_price").number_format == "#,##0.00"
    assert streaming.sheet_title("Journal lines (every debit and credit)", 2) == "Journal lines (every debit (2)"
