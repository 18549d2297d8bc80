"""A sale's eTIMS invoice is signed through the outbox, against the simulator over real HTTP; a void
becomes a credit note for it; with eTIMS off the counter behaves exactly as before."""

import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command

from modules.core.businesses.models import Business
from modules.core.etims.models import Device, Invoice
from modules.core.etims.services import sign
from modules.core.etims.simulator.models import SimInvoice
from modules.core.inventory.models import Item
from modules.core.outbox.models import Message
from modules.core.sales import services as sales
from tests.etims import etims_on  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def sell(sku, quantity):
    item = Item.objects.get(sku=sku)
    sale, _ = sales.create_sale(business=item.business, client_uuid=uuid.uuid4(),
                                lines=[sales.SaleLineInput(item.pk, Decimal(quantity))], method="cash")
    return sale


def test_a_sale_is_signed_once_through_the_outbox(etims_on, stocked):  # noqa: F811
    sale = sell("W-BOTTLE-20", 2)
    invoice = Invoice.objects.get(sale=sale)
    assert invoice.status == Invoice.Status.SIGNED, invoice.last_error
    assert (invoice.kind, invoice.number, invoice.total, invoice.vat) == (
        Invoice.Kind.SALE, 1, sale.total, sale.vat)
    assert len(invoice.signature) == 16 and len(invoice.internal_data) == 26 and invoice.signed_at
    assert invoice.reference == f"{invoice.device.sdc_id}/1" and invoice.device.sdc_id.startswith("KRACU")
    declared = SimInvoice.objects.get()  # KRA holds it once, with the sale's total and receipt number
    assert (declared.invc_no, declared.rcpt_ty_cd, declared.tot_amt, declared.trd_invc_no) == (
        1, "S", sale.total, f"water-{sale.number}")
    assert declared.rcpt_sign == invoice.signature
    assert Message.objects.filter(topic="etims.sign", status=Message.Status.DONE).count() == 1


def test_a_void_becomes_a_credit_note_for_the_signed_invoice(etims_on, stocked):  # noqa: F811
    sale = sell("W-BOTTLE-20", 1)
    sales.void_sale(sale, reason="wrong item")
    original = Invoice.objects.get(sale=sale, kind=Invoice.Kind.SALE)
    note = Invoice.objects.get(sale=sale, kind=Invoice.Kind.CREDIT_NOTE)
    assert note.status == Invoice.Status.SIGNED, note.last_error
    assert (note.original, note.number, note.total) == (original, 2, original.total)
    credited = SimInvoice.objects.get(rcpt_ty_cd="R")
    assert (credited.org_invc_no, credited.tot_amt) == (1, sale.total)


def test_with_etims_off_a_sale_declares_nothing(stocked):
    assert Business.objects.filter(code="water").exists()
    sale = sell("W-BOTTLE-20", 1)
    assert sale.total == Decimal("650.00") and sale.receipt_number
    assert not Invoice.objects.exists() and not SimInvoice.objects.exists()
    assert not Message.objects.filter(topic__startswith="etims.").exists()


def test_etims_init_initialises_the_device_once(etims_on, capsys):  # noqa: F811
    call_command("etims_init")
    device = Device.objects.get()
    assert device.sdc_id.startswith("KRACU") and device.simulator_cmc_key
    assert f"SCU ID (ETIMS_SDC_ID): {device.sdc_id}" in capsys.readouterr().out


def test_a_voided_lpg_receipt_becomes_a_credit_note(etims_on, stocked):  # noqa: F811
    """The shop voids an LPG receipt through the sale engine: ``sale.voided``, then a credit note
    referencing the signed invoice, for its whole total."""
    from django.db import transaction

    from modules.core.inventory.services import receive_opening_stock
    from modules.core.sales.models import Sale
    from modules.shop import services as shop
    from modules.shop.models import CylinderType

    kgas = CylinderType.objects.get(business__code="shop", size_kg=6, brand="K-Gas")
    with transaction.atomic():
        receive_opening_stock(Item.objects.get(pk=kgas.full_item_id), 1)
    lpg, _ = shop.record_lpg(business=Business.objects.get(code="shop"), client_uuid=uuid.uuid4(), kind="refill",
                             cylinder_type=kgas, method="cash")
    original = Invoice.objects.get(sale=lpg.sale, kind=Invoice.Kind.SALE)
    for _ in range(3):  # the outbox's retry, should the busy machine make the simulator miss the 1 s timeout
        if not original.waiting:
            break
        sign(original.pk)
        original.refresh_from_db()
    assert original.status == Invoice.Status.SIGNED, original.last_error
    shop.void_lpg(lpg, reason="wrong cylinder")
    assert Sale.objects.get(pk=lpg.sale_id).status == Sale.Status.VOIDED
    note = Invoice.objects.get(sale=lpg.sale, kind=Invoice.Kind.CREDIT_NOTE)
    for _ in range(3):
        if not note.waiting:
            break
        sign(note.pk)
        note.refresh_from_db()
    assert note.status == Invoice.Status.SIGNED, note.last_error
    assert (note.original, note.total) == (original, original.total) and note.total == lpg.sale.total
    credited = SimInvoice.objects.get(rcpt_ty_cd="R")
    assert (credited.org_invc_no, credited.tot_amt) == (original.number, lpg.sale.total)
