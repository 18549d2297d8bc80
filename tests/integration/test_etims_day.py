"""Issue 19 §5: a day of mixed sales across the three businesses signed against the simulator over
real HTTP, with 5 % timeouts (3 % lost requests, 2 % lost answers: stored by KRA, the answer never
arrives, so the resend is a duplicate), 1 % 990, injected 994s, the outbox's duplicate resends and
one KRA outage of 30 minutes (its end is the simulator's ``down_until`` moved back to now: a test
does not wait 30 minutes). Then: every sale and void is signed exactly once (KRA holds each once,
with our signature), invoice numbers run 1..n without a gap on both sides, credit notes reference
their originals, and the monthly eTIMS report's per-band totals equal the VAT report to the cent
(with its CSV and XLSX)."""

import csv
import io
import random
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.etims import reports as etims_reports
from modules.core.etims import services as etims
from modules.core.etims.models import Invoice
from modules.core.etims.simulator.models import SimFaults, SimInvoice
from modules.core.inventory.models import Item
from modules.core.inventory.services import receive_opening_stock
from modules.core.outbox import services as outbox
from modules.core.outbox.models import Message
from modules.core.reports import services as reports
from modules.core.sales import services as sales
from modules.core.sales.models import Sale
from modules.core.tax.models import Band
from tests.etims import etims_on, fault_rates, queue_faults  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
SALES = 84  # 28 per business, LPG refills among the shop's
OUTAGE = range(30, 45)  # sales rung up while KRA is down


def sellable(code):
    business = Business.objects.get(code=code)
    claimed = sales.claimed_items(business)
    return business, [item for item in Item.objects.filter(business=business, is_active=True, selling_price__gt=0)
                      .exclude(tracks_stock=True, stock_levels__quantity__lt=20) if item.pk not in claimed]


def drain(rounds=40):
    """The outbox's retries, run now instead of after their backoff."""
    for _ in range(rounds):
        waiting = Message.objects.filter(topic__startswith="etims.", status=Message.Status.PENDING)
        if not waiting.exists():
            return
        waiting.update(next_attempt_at=timezone.now())
        outbox.process_due(limit=500)
    raise AssertionError(list(Message.objects.filter(topic__startswith="etims.", status=Message.Status.PENDING)
                              .values_list("key", "last_error")[:5]))


def test_a_day_of_mixed_sales_is_signed_exactly_once(etims_on, stocked, client):  # noqa: F811
    from modules.shop import services as shop
    from modules.shop.models import CylinderType

    pick = random.Random(19)
    shelves = {code: sellable(code) for code in ("water", "laundry", "shop")}
    kgas = CylinderType.objects.get(business__code="shop", size_kg=6, brand="K-Gas")
    Item.objects.filter(pk=kgas.full_item_id).update(tax_band=Band.ZERO_RATED)  # LPG is C (brief §5), as the owner sets it
    with transaction.atomic():
        receive_opening_stock(Item.objects.get(pk=kgas.full_item_id), 20)
    fault_rates(rate_timeout=0.03, rate_lost_answer=0.02, rate_990=0.01, seed="day-19")
    queue_faults("994", "994", path="saveTrnsSalesOsdc")

    sold, voided, gas = [], [], set()
    for n in range(SALES):
        if n == OUTAGE.start:
            SimFaults.objects.filter(pk=1).update(down_until=timezone.now() + timedelta(minutes=30))
        if n == OUTAGE.stop:
            SimFaults.objects.filter(pk=1).update(down_until=timezone.now())  # 30 minutes later: KRA is back
        code = ("water", "laundry", "shop")[n % 3]
        business, items = shelves[code]
        if code == "shop" and n % 2:
            lpg, _ = shop.record_lpg(business=business, client_uuid=uuid.uuid4(), kind="refill", cylinder_type=kgas)
            sale = lpg.sale
            gas.add(sale.pk)
        else:
            chosen = pick.sample(items, k=min(len(items), pick.randint(1, 3)))
            sale, _ = sales.create_sale(business=business, client_uuid=uuid.uuid4(), method="cash",
                                        lines=[sales.SaleLineInput(i.pk, Decimal(pick.randint(1, 3))) for i in chosen])
        assert sale.receipt_number  # the counter sells, KRA up or down
        sold.append(sale)
        if n in OUTAGE:
            assert Invoice.objects.get(sale=sale).waiting  # "eTIMS pending" on the receipt
        if n % 9 == 8:  # a void now and then, of a sale rung up a little earlier
            victim = next(s for s in reversed(sold[:-1]) if s.pk not in gas and s not in voided)
            if victim.status == Sale.Status.COMPLETED:
                sales.void_sale(Sale.objects.get(pk=victim.pk), reason="customer returned it")
                voided.append(victim)
    assert etims.pending_facts().waiting > 0  # the outage and the faults left work for the retries

    drain()
    for invoice in Invoice.objects.all():  # a duplicate resend of everything: KRA gets nothing twice
        assert etims.sign(invoice.pk) is None
    drain()

    invoices = list(Invoice.objects.select_related("sale", "original").order_by("number"))
    assert all(i.status == Invoice.Status.SIGNED for i in invoices), [(i.pk, i.last_error) for i in invoices
                                                                       if i.status != Invoice.Status.SIGNED]
    assert sorted(i.sale_id for i in invoices if i.kind == Invoice.Kind.SALE) == sorted(s.pk for s in sold)
    assert sorted(i.sale_id for i in invoices if i.kind == Invoice.Kind.CREDIT_NOTE) == sorted(s.pk for s in voided)
    assert len(voided) >= 5
    numbers = [i.number for i in invoices]
    assert numbers == list(range(1, len(invoices) + 1))  # gapless, each once
    declared = {s.invc_no: s for s in SimInvoice.objects.all()}
    assert sorted(declared) == numbers  # KRA holds each number once, and nothing else
    for invoice in invoices:
        kra = declared[invoice.number]
        assert (kra.rcpt_sign, kra.tot_amt, kra.rcpt_ty_cd) == (invoice.signature, invoice.total, invoice.kind)
        if invoice.kind == Invoice.Kind.CREDIT_NOTE:
            assert invoice.original.sale_id == invoice.sale_id and invoice.original.kind == Invoice.Kind.SALE
            assert kra.org_invc_no == invoice.original.number
    assert len({s.trd_invc_no for s in declared.values()}) == len(declared)  # every document signed once

    # the eTIMS report per band equals the VAT report, to the cent
    businesses = list(Business.objects.filter(code__in=("water", "laundry", "shop")).order_by("pk"))
    first, today = timezone.localdate(sold[0].created_at), timezone.localdate()  # the run may cross midnight
    table = etims_reports.monthly(businesses, first, today)
    band_rows = [r for r in table.rows if r["line"].startswith("Band ")]
    assert band_rows and all(r["check"] == etims_reports.AGREES for r in band_rows), band_rows
    assert {r["line"] for r in band_rows} >= {f"Band {Band.ZERO_RATED.label}"}  # LPG's zero-rated band is in
    vat = reports.vat_summary(businesses, first, today)
    by_label = {b.label: b.value for b in Band}
    for business in businesses:
        mine = [i for i in invoices if i.business_id == business.pk]
        expected = {}
        for i in mine:
            sign = -1 if i.kind == Invoice.Kind.CREDIT_NOTE else 1
            for band, f in i.bands.items():
                slot = expected.setdefault(band, [Decimal(0), Decimal(0)])
                slot[0] += sign * (Decimal(f["taxable"]) - Decimal(f["tax"]))
                slot[1] += sign * Decimal(f["tax"])
        reported = {by_label[r["vat_class"]]: [r["taxable"], r["output"] - r["output_debits"]]
                    for r in vat.rows if r["_class"] == "detail" and r["business"] == business.name}
        assert expected == reported, business.code
        # and the VAT report's per-band VAT adds up to the ledger's output VAT
        [whole] = [r for r in vat.rows if r["_class"] == "" and r["business"] == business.name]
        assert sum((v for _, v in reported.values()), Decimal(0)) == whole["output"] - whole["output_debits"]
    signed = [r for r in table.rows if r["line"] == "Invoices signed"]
    assert sum(r["count"] for r in signed) == len(sold)
    assert sum(r["count"] for r in table.rows if r["line"] == "Credit notes signed") == len(voided)

    client.force_login(User.objects.get(username="accountant"))
    query = {"business": "", "start": first.isoformat(), "end": today.isoformat()}
    page = client.get(reverse("admin:etims:report"), query)
    assert page.status_code == 200 and b"data-xlsx" in page.content
    download = client.get(reverse("admin:etims:report"), {**query, "format": "csv"})
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Business", "What", "Count"] and len(rows) == len(table.data_rows()) + 1
    assert all(row[-1] in ("", etims_reports.AGREES) for row in rows[1:])
    xlsx = client.get(reverse("admin:etims:report"), {**query, "format": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[1]][:2] == ["Business", "What"] and sheet.max_row == len(rows)
