"""Issue 19 §4 against the simulator over real HTTP: supplier bills carry the supplier's eTIMS invoice
number; suppliers' sales to the owner's PIN fetched from KRA (selectTrnsPurchaseSalesList) are matched
to bills in one tap; the accountant sees the bills without an eTIMS invoice (not deductible), CSV
formula-safe."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.etims import purchases
from modules.core.etims.models import Device, Purchase
from modules.core.etims.simulator.models import SimSupplierSale
from modules.core.purchasing import services as purchasing
from modules.core.purchasing.models import Supplier, SupplierBill
from tests.etims import etims_on  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
GAS_PIN, FORMULA_PIN = "P052345678Y", "P059999999Z"


def as_user(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def offer(settings, supplier_pin, number, total, *, name="Maji Safi Supplies Ltd", days_ago=0):
    """A supplier's eTIMS sale to the owner's PIN, as KRA holds it."""
    return SimSupplierSale.objects.create(
        buyer_tin=settings.ETIMS_TIN, spplr_tin=supplier_pin, spplr_nm=name, spplr_invc_no=number,
        spplr_sdc_id="KRACU0200000001", sales_dt=(timezone.localdate() - timedelta(days=days_ago)).strftime("%Y%m%d"),
        tot_taxbl_amt=Decimal(total), tot_tax_amt=(Decimal(total) * 16 / 116).quantize(Decimal("0.01")),
        tot_amt=Decimal(total), items=[{"itemNm": "Preforms", "qty": 100}])


@pytest.fixture
def suppliers(stocked):
    water = Business.objects.get(code="water")
    gas = Supplier.objects.create(business=water, name="Maji Safi Supplies", kra_pin=GAS_PIN)
    odd = Supplier.objects.create(business=water, name="=HYPERLINK(\"http://x\")")
    return gas, odd


def test_a_bill_keeps_the_suppliers_etims_invoice_number(suppliers, client):
    gas, _ = suppliers
    bill = purchasing.record_bill(gas, "1160", vat="160", reference="INV-1", etims_invoice=" kracu0200000001/ 88")
    assert SupplierBill.objects.get(pk=bill.pk).etims_invoice == "KRACU0200000001/88"
    with pytest.raises(ValidationError, match="not an eTIMS invoice number"):
        purchasing.record_bill(gas, "100", etims_invoice="88-A; rm")
    # the owner's add form has the field and saves it
    page = as_user(client, "owner").get(reverse("admin:purchasing_supplierbill_add"))
    assert page.status_code == 200 and b'name="etims_invoice"' in page.content
    response = client.post(reverse("admin:purchasing_supplierbill_add"), {
        "supplier": gas.pk, "reference": "INV-2", "etims_invoice": "90", "bill_date": timezone.localdate().isoformat(),
        "amount": "580", "vat": "80", "category": "6000"})
    assert response.status_code == 302, response.content[:2000]
    assert SupplierBill.objects.get(reference="INV-2").etims_invoice == "90"


def test_purchases_fetched_from_kra_are_matched_to_bills_in_one_tap(etims_on, suppliers, client):  # noqa: F811
    gas, odd = suppliers
    today = timezone.localdate()
    backed = purchasing.record_bill(gas, "1160", vat="160", reference="INV-88", bill_date=today - timedelta(days=2))
    decoy = purchasing.record_bill(gas, "1160", vat="160", reference="INV-OLD", bill_date=today - timedelta(days=60))
    other = purchasing.record_bill(gas, "999", reference="INV-89")
    typed = purchasing.record_bill(gas, "500", reference="INV-T", etims_invoice="KRACU0200000001/70")
    unknown = purchasing.record_bill(odd, "300", reference="+SUM(A1)")
    offer(etims_on, GAS_PIN, 88, "1160", days_ago=1)
    offer(etims_on, GAS_PIN, 91, "4000")  # no bill of that amount

    assert purchases.fetch() == 2
    assert purchases.fetch() == 0  # fetched from the last time on: nothing new, nothing twice
    assert Device.objects.get().purchases_checked_at
    call_command("etims_sim_purchase", supplier_pin=GAS_PIN, amount="999", stdout=io.StringIO())  # its number: 92
    assert purchases.fetch() == 1 and Purchase.objects.count() == 3

    accountant = as_user(client, "accountant")
    page = accountant.get(reverse("admin:etims:purchases"))
    assert page.status_code == 200
    text = page.content.decode()
    first = Purchase.objects.get(supplier_invoice_no=88)
    assert f'data-purchase="{first.pk}"' in text and 'data-no-bill' in text  # 91 has no bill
    proposed = purchases.proposals(list(Purchase.objects.all()), SupplierBill.objects.all())
    assert proposed[first.pk] == backed  # the PIN, the amount and the nearest date (not the 60-day-old one)
    assert proposed[Purchase.objects.get(supplier_invoice_no=92).pk] == other
    assert Purchase.objects.get(supplier_invoice_no=91).pk not in proposed

    response = accountant.post(reverse("admin:etims:match", args=[first.pk]), {"bill": backed.pk})  # the one tap
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.bill == backed and first.matched_by.username == "accountant" and first.matched_at
    again = accountant.post(reverse("admin:etims:match", args=[Purchase.objects.get(supplier_invoice_no=92).pk]),
                            {"bill": backed.pk}, follow=True)
    assert "already backed" in again.content.decode()  # one eTIMS invoice per bill
    with pytest.raises(ValidationError, match="only an invoice for the bill's amount"):
        purchases.match(Purchase.objects.get(supplier_invoice_no=91), decoy, None)
    assert as_user(client, "water_staff").get(reverse("admin:etims:purchases")).status_code == 403

    # the accountant's list of expenses without an eTIMS invoice: not the matched one, not the typed one
    accountant = as_user(client, "accountant")
    start = (today - timedelta(days=90)).isoformat()
    page = accountant.get(reverse("admin:etims:unbacked"), {"business": "water", "start": start})
    assert page.status_code == 200
    download = accountant.get(reverse("admin:etims:unbacked"), {"business": "water", "start": start, "format": "csv"})
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    listed = {row[-1] for row in rows[1:]}
    assert listed == {str(decoy.pk), str(other.pk), str(unknown.pk)}, rows
    assert str(backed.pk) not in listed and str(typed.pk) not in listed
    cells = {cell for row in rows for cell in row}
    assert "'+SUM(A1)" in cells and "'=HYPERLINK(\"http://x\")" in cells  # formula-safe
    assert all(not cell.startswith(("=", "+", "@")) for cell in cells)
    xlsx = accountant.get(reverse("admin:etims:unbacked"), {"business": "water", "start": start, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_fetching_with_kra_down_says_so(etims_on, suppliers, client):  # noqa: F811
    etims_on.ETIMS_BASE_URL = "http://127.0.0.1:9/etims-api"  # nothing listens there
    page = as_user(client, "owner").post(reverse("admin:etims:purchases"), follow=True)
    assert page.status_code == 200 and "KRA could not be asked now" in page.content.decode()
    assert purchases.fetch_job() == 0
