"""Public surface of eTIMS: every committed sale becomes an invoice and every void a credit note,
signed by KRA through the outbox, exactly once, without ever holding up the counter.

    sale committed ──(durable event)──> Invoice(pending) ──etims.sign──> number, send, signature
                                                                          └─> etims.stock (stock after)

Numbering (brief §4 pitfalls 1, 2 and 10): invoice numbers run 1, 2, 3… per device with no gap.
A number is taken only under the device row's lock, one send at a time, and only when no earlier
number's fate is unknown; it is **kept** (status ``sent``) while the answer is unknown (a timeout, a
5xx) and the next attempt first re-reads it (``selectInvoiceDetails``) before sending it again. It is
**released** only on a definite rejection (910-912): the invoice is then ``failed`` and the next sale
takes the number. A 994 re-reads: what KRA holds under the number is recognised by our
``trdInvcNo`` and given to the invoice it belongs to.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from modules.core.outbox import services as outbox
from modules.core.registry import events
from modules.core.registry.refusals import Refusal

from . import payloads
from .configuration import KRA_PIN
from .models import Device, Invoice, ItemRegistration
from .oscu import Device as Headers
from .oscu import EtimsError, OscuClient, Outcome, parse_stamp

logger = logging.getLogger(__name__)

SIGN = "etims.sign"
STOCK = "etims.stock"
SIGNED_EVENT = "etims.signed"
DEVICE_PROBLEM = "etims.device_problem"
PENDING_TOO_LONG = "etims.pending"
PENDING_ALERT_AFTER = timedelta(hours=1)


class NotConfigured(Exception):
    """The device cannot talk to KRA yet (no cmcKey, or eTIMS is off)."""


def enabled() -> bool:
    return settings.ETIMS_MODE != "off"


# --- the device and its client ------------------------------------------------------------------

def device() -> Device:
    found, _ = Device.objects.get_or_create(tin=settings.ETIMS_TIN, bhf_id=settings.ETIMS_BHF_ID,
                                            defaults={"serial": settings.ETIMS_DEVICE_SERIAL})
    return found


def client(device_: Device, *, with_key: bool = True) -> OscuClient:
    key = ""
    if with_key:
        key = settings.ETIMS_CMC_KEY or (device_.simulator_cmc_key if settings.ETIMS_MODE == "simulator" else "")
        if not key:
            raise NotConfigured("the device has no cmcKey: run `manage.py etims_init` and set ETIMS_CMC_KEY")
    return OscuClient(settings.ETIMS_BASE_URL, Headers(device_.tin, device_.bhf_id, key),
                      timeout=settings.ETIMS_HTTP_TIMEOUT)


def initialise(device_: Device) -> dict:
    """``selectInitOsdcInfo`` for the configured serial; keeps the SCU ID (and, with the simulator
    only, its key). Returns KRA's ``info``: its ``cmcKey`` is a secret for the environment."""
    info = client(device_, with_key=False).initialise(device_.serial)
    device_.sdc_id = str(info.get("sdcId") or "")[:20]
    device_.mrc_no = str(info.get("mrcNo") or "")[:20]
    device_.taxpayer_name = str(info.get("taxprNm") or "")[:120]
    device_.initialised_at = timezone.now()
    if settings.ETIMS_MODE == "simulator":
        device_.simulator_cmc_key = str(info.get("cmcKey") or "")
    device_.save()
    return info


def _ready(device_: Device) -> OscuClient:
    """The device's client; with the simulator, the device is initialised on first use."""
    if settings.ETIMS_SDC_ID and not device_.sdc_id:
        device_.sdc_id = settings.ETIMS_SDC_ID[:20]
        device_.save(update_fields=["sdc_id"])
    if settings.ETIMS_MODE == "simulator" and not settings.ETIMS_CMC_KEY and not device_.simulator_cmc_key:
        initialise(device_)
    return client(device_)


# --- from the sale engine's events ----------------------------------------------------------------

def on_sale_committed(business: str, sale_id: int, **_) -> None:
    """Durable subscriber of ``sale.committed``: the sale gets its invoice, to be signed."""
    if not enabled():
        return
    from modules.core.sales.models import Sale

    sale = Sale.objects.select_related("business", "customer").get(pk=sale_id)
    customer = sale.customer
    invoice, created = Invoice.objects.get_or_create(sale=sale, kind=Invoice.Kind.SALE, defaults={
        "business": sale.business, "total": 0, "vat": 0,
        "customer_pin": sale.buyer_pin or ((customer.kra_pin or "") if customer else ""),
        "customer_name": (sale.buyer_name or ((customer.name or "") if customer else ""))[:60]})
    if created:
        _snapshot(invoice)
        outbox.enqueue(SIGN, key=f"invoice:{invoice.pk}", payload={"invoice": invoice.pk}, business=sale.business)


def on_sale_voided(business: str, sale_id: int, **_) -> None:
    """Durable subscriber of ``sale.voided``: a credit note for the whole of the original (which is
    signed first: the credit note waits for it)."""
    if not enabled():
        return
    original = Invoice.objects.filter(sale_id=sale_id, kind=Invoice.Kind.SALE).select_related("sale").first()
    if original is None:  # sold while eTIMS was off: nothing was declared, nothing to credit
        return
    note, created = Invoice.objects.get_or_create(sale_id=sale_id, kind=Invoice.Kind.CREDIT_NOTE, defaults={
        "business_id": original.business_id, "original": original, "total": original.total, "vat": original.vat,
        "bands": original.bands, "customer_pin": original.customer_pin, "customer_name": original.customer_name})
    if created:
        outbox.enqueue(SIGN, key=f"invoice:{note.pk}", payload={"invoice": note.pk}, business=note.business)


def _snapshot(invoice: Invoice) -> None:
    bands = payloads.bands_of(invoice.sale)
    invoice.bands = bands
    invoice.total = sum((payloads.money(b["taxable"]) for b in bands.values()), payloads.money(0))
    invoice.vat = sum((payloads.money(b["tax"]) for b in bands.values()), payloads.money(0))
    invoice.save(update_fields=["bands", "total", "vat"])


# --- signing (the etims.sign outbox handler) --------------------------------------------------------

def sign_message(message):
    """Outbox handler: sign one invoice; ``outbox.Retry`` keeps the progress (a number taken, an
    attempt counted) when it must be tried again."""
    reason = sign(message.payload["invoice"])
    return outbox.Retry(reason) if reason else None


def sign(invoice_id: int) -> str | None:
    """Sign one invoice. None when it is settled (signed or refused); else why it must wait."""
    if not enabled():
        return "eTIMS is off (ETIMS_MODE=off): the invoice waits"
    device_ = device()
    with transaction.atomic():
        device_ = Device.objects.select_for_update().get(pk=device_.pk)  # one send per device at a time
        invoice = Invoice.objects.select_related("sale", "business", "original").get(pk=invoice_id)
        if not invoice.waiting:
            return None
        invoice.attempts += 1
        try:
            reason = _sign(device_, invoice)
        except NotConfigured as problem:
            reason = str(problem)
            _tell_owner_device(reason)
        if reason:
            invoice.last_error = reason[:300]
            invoice.save(update_fields=["attempts", "last_error"])
        return reason


def _sign(device_: Device, invoice: Invoice) -> str | None:
    try:
        api = _ready(device_)
    except EtimsError as error:
        _tell_owner_device(str(error))
        return str(error)
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        original = invoice.original
        original.refresh_from_db()
        if original.status == Invoice.Status.FAILED:
            _fail(invoice, "Its invoice was refused by eTIMS, so there is nothing to credit.")
            return None
        if original.status != Invoice.Status.SIGNED:
            return f"waiting for invoice {original.reference} to be signed first"
    in_flight = (Invoice.objects.select_related("sale", "business", "original", "device")
                 .filter(device=device_, status=Invoice.Status.SENT).exclude(pk=invoice.pk).first())
    if in_flight is not None:
        reason = _settle(api, device_, in_flight)
        if reason:
            return f"waiting for invoice {in_flight.reference}: {reason}"
        invoice.refresh_from_db()
        if not invoice.waiting:
            return None
    if invoice.status == Invoice.Status.SENT:
        return _settle(api, device_, invoice)
    reason = _register_items(api, invoice)
    if reason or not invoice.waiting:
        return reason
    for _ in range(3):  # a number KRA already holds for another of our invoices is given to it
        device_.last_invoice_no += 1
        device_.save(update_fields=["last_invoice_no"])
        invoice.device, invoice.number, invoice.status = device_, device_.last_invoice_no, Invoice.Status.SENT
        invoice.sent_at = timezone.now()
        invoice.save(update_fields=["device", "number", "status", "sent_at", "attempts"])
        reason = _send(api, device_, invoice)
        if reason != _ADOPTED:
            return reason
    return "eTIMS keeps answering that the numbers are taken; checking again later"


_ADOPTED = "adopted"  # the number belonged to another of our invoices: take the next one


def _settle(api, device_: Device, invoice: Invoice) -> str | None:
    """An invoice whose number went out without a known answer: read what KRA holds under it; sign
    from that, or send again with the same number when KRA has nothing."""
    try:
        found = api.invoice(invoice.number)
    except EtimsError as error:
        return _why(error)
    if found is None:
        reason = _send(api, device_, invoice)
        return None if reason == _ADOPTED else reason
    if _adopt(device_, invoice, found):
        return None
    return None  # the number was another invoice's; this one is pending again (next attempt numbers it)


def _send(api, device_: Device, invoice: Invoice) -> str | None:
    try:
        receipt = api.save_sale(payloads.sale(invoice, _user_name(invoice)))
    except EtimsError as error:
        if error.outcome is Outcome.DUPLICATE:
            try:
                found = api.invoice(invoice.number)
            except EtimsError as again:
                return _why(again)
            if found is None:
                return f"eTIMS answered {error.code} but holds nothing under {invoice.number}: sending again"
            return None if _adopt(device_, invoice, found) else _ADOPTED
        if error.outcome is Outcome.REJECTED:
            _release(device_, invoice, f"eTIMS refused it ({error.code}): {error.message}")
            return None
        if error.outcome is Outcome.DEVICE:
            _tell_owner_device(f"{error.code} {error.message}")
        return _why(error)
    _store(invoice, receipt)
    return None


def _adopt(device_: Device, invoice: Invoice, found: dict) -> bool:
    """KRA holds ``found`` under ``invoice.number``. True when it is this invoice (now signed); else
    it is the invoice whose ``trdInvcNo`` it carries (signed with it), and ``invoice`` goes back to
    pending without a number."""
    reference = str(found.get("trdInvcNo") or "")
    if reference == payloads.trade_reference(invoice):
        _store(invoice, found.get("receipt") or {})
        return True
    owner = _by_reference(reference)
    number = invoice.number
    invoice.number, invoice.status = None, Invoice.Status.PENDING
    invoice.save(update_fields=["number", "status"])
    if owner is not None:
        owner.device, owner.number = device_, number
        owner.save(update_fields=["device", "number"])
        _store(owner, found.get("receipt") or {})
    else:
        logger.error("eTIMS holds invoice %s (%s) that matches none of ours", number, reference)
    return False


def _by_reference(reference: str) -> Invoice | None:
    """The waiting invoice whose ``trdInvcNo`` this is (``payloads.trade_reference``)."""
    kind = Invoice.Kind.CREDIT_NOTE if reference.endswith("-CN") else Invoice.Kind.SALE
    code, _, number = reference.removesuffix("-CN").rpartition("-")
    if not number.isdigit():
        return None
    return (Invoice.objects.select_related("sale", "business")
            .filter(business__code=code, sale__number=int(number), kind=kind,
                    status__in=[Invoice.Status.PENDING, Invoice.Status.SENT]).first())


def _store(invoice: Invoice, receipt: dict) -> None:
    invoice.status = Invoice.Status.SIGNED
    invoice.receipt_number = receipt.get("curRcptNo")
    invoice.total_receipts = receipt.get("totRcptNo")
    invoice.internal_data = str(receipt.get("intrlData") or "")[:26]
    invoice.signature = str(receipt.get("rcptSign") or "")[:16]
    invoice.signed_at = parse_stamp(str(receipt.get("sdcDateTime") or "")) or timezone.now()
    invoice.last_error = ""
    invoice.save()
    if any(line.item.tracks_stock for line in payloads.sold_lines(invoice.sale)):
        outbox.enqueue(STOCK, key=f"stock:{invoice.pk}", payload={"invoice": invoice.pk}, business=invoice.business)
    events.publish(SIGNED_EVENT, business=invoice.business.code, invoice_id=invoice.pk)


def _release(device_: Device, invoice: Invoice, why: str) -> None:
    """A definite refusal: the number goes back (it is the last one taken: one send at a time)."""
    if device_.last_invoice_no == invoice.number:
        device_.last_invoice_no -= 1
        device_.save(update_fields=["last_invoice_no"])
    else:  # cannot happen while sends are one at a time; keep the number rather than make a gap
        logger.error("eTIMS invoice %s refused but is not the last number (%s)", invoice.number,
                     device_.last_invoice_no)
        invoice.status, invoice.last_error = Invoice.Status.FAILED, why[:300]
        invoice.save(update_fields=["status", "last_error", "attempts"])
        return
    invoice.number, invoice.device = None, None
    _fail(invoice, why)


def _fail(invoice: Invoice, why: str) -> None:
    invoice.status, invoice.last_error = Invoice.Status.FAILED, why[:300]
    invoice.save(update_fields=["status", "last_error", "number", "device", "attempts"])
    from modules.core.notifications import services as notifications

    notifications.send("etims.refused", business=invoice.business, obj=invoice,
                       link=f"/admin/etims/invoice/{invoice.pk}/change/",
                       message=f"eTIMS refused {invoice.get_kind_display().lower()} for receipt "
                               f"{invoice.sale.receipt_number}: {why}"[:300])


def _register_items(api, invoice: Invoice) -> str | None:
    """``saveItem`` for each item not yet registered as it is now (name, band, class)."""
    for line in payloads.sold_lines(invoice.sale):
        registration, _ = ItemRegistration.objects.get_or_create(
            item=line.item, defaults={"code": payloads.item_code(line.item), "class_code": payloads.DEFAULT_CLASS})
        line.item.etims = registration
        wanted = f"{line.item.name}|{payloads.item_band(line.item)}|{registration.class_code}|{line.item.is_active}"[:64]
        if registration.registered_at and registration.registered_as == wanted:
            continue
        try:
            api.save_item(payloads.save_item(registration))
        except EtimsError as error:
            if error.outcome is Outcome.REJECTED:
                _fail(invoice, f"eTIMS refused item {line.item.name} ({error.code}): {error.message}. Check its "
                               f"KRA item class under eTIMS → Items, then send the invoice again.")
                return None
            return _why(error)
        registration.registered_as, registration.registered_at = wanted, timezone.now()
        registration.save(update_fields=["registered_as", "registered_at"])
    return None


def _why(error: EtimsError) -> str:
    return f"{error.code}: {error.message}"


def _user_name(invoice: Invoice) -> str:
    user = invoice.sale.created_by
    return user.get_username() if user is not None else "system"


def _tell_owner_device(problem: str) -> None:
    from modules.core.notifications import services as notifications

    notifications.send(DEVICE_PROBLEM, throttle_key="etims-device", throttle=6 * 3600,
                       link="/admin/etims/invoice/",
                       message=f"eTIMS cannot sign sales: {problem}. Sales wait as 'eTIMS pending'; "
                               f"see the eTIMS set-up in the README.")


def resend(invoice: Invoice) -> Invoice:
    """The owner's "send again" for a refused invoice: it waits for a new number."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status != Invoice.Status.FAILED:
            return invoice
        invoice.status, invoice.last_error = Invoice.Status.PENDING, ""
        invoice.save(update_fields=["status", "last_error"])
        outbox.enqueue(SIGN, key=f"invoice:{invoice.pk}:again:{invoice.attempts}", payload={"invoice": invoice.pk},
                       business=invoice.business)
    return invoice


# --- stock after the sale (the etims.stock outbox handler) ---------------------------------------

def stock_message(message):
    reason = report_stock(message.payload["invoice"])
    return outbox.Retry(reason) if reason else None


def report_stock(invoice_id: int) -> str | None:
    """``insertStockIO`` then ``saveStockMaster`` for a signed invoice's stock items (KRA wants the
    stock only after the sale). The movement's ``sarNo`` is taken once and kept across attempts; a
    994 on it means KRA already has it."""
    from modules.core.inventory.models import StockLevel

    device_ = device()
    with transaction.atomic():
        device_ = Device.objects.select_for_update().get(pk=device_.pk)
        invoice = Invoice.objects.select_related("sale", "business").get(pk=invoice_id)
        if invoice.stock_reported_at is not None or invoice.status != Invoice.Status.SIGNED:
            return None
        try:
            api = _ready(device_)
        except (EtimsError, NotConfigured) as error:
            return str(error)
        if invoice.stock_sar_no is None:
            device_.last_sar_no += 1
            device_.save(update_fields=["last_sar_no"])
            invoice.stock_sar_no = device_.last_sar_no
            invoice.save(update_fields=["stock_sar_no"])
        movement = payloads.stock_io(invoice, invoice.stock_sar_no, _user_name(invoice))
        try:
            if movement is not None:
                try:
                    api.stock_io(movement)
                except EtimsError as error:
                    if error.outcome is not Outcome.DUPLICATE:
                        raise
            for line in payloads.sold_lines(invoice.sale):
                if line.item.tracks_stock:
                    left = StockLevel.objects.filter(item=line.item).aggregate(q=Sum("quantity"))["q"] or 0
                    api.stock_master({"itemCd": line.item.etims.code, "rsdQty": left,
                                      "regrId": "system", "regrNm": "system", "modrId": "system", "modrNm": "system"})
        except EtimsError as error:
            return _why(error)
        invoice.stock_reported_at = timezone.now()
        invoice.save(update_fields=["stock_reported_at"])
    return None


# --- what the owner sees ---------------------------------------------------------------------------

@dataclass
class PendingFacts:
    waiting: int
    failed: int
    oldest_seconds: float | None


def pending_facts(businesses=None) -> PendingFacts:
    invoices = Invoice.objects.all()
    if businesses is not None:
        invoices = invoices.filter(business__in=businesses)
    waiting = invoices.filter(status__in=[Invoice.Status.PENDING, Invoice.Status.SENT]).aggregate(
        n=Count("id"), oldest=Min("created_at"))
    failed = invoices.filter(status=Invoice.Status.FAILED).count()
    oldest = (timezone.now() - waiting["oldest"]).total_seconds() if waiting["oldest"] else None
    return PendingFacts(waiting=waiting["n"], failed=failed, oldest_seconds=oldest)


def watch_pending() -> bool:
    """Every 5 minutes: tell the owner when an invoice has waited more than an hour (at most every
    6 hours while it lasts). True when told."""
    facts = pending_facts()
    if facts.oldest_seconds is None or facts.oldest_seconds < PENDING_ALERT_AFTER.total_seconds():
        return False
    from modules.core.notifications import services as notifications

    hours = facts.oldest_seconds / 3600
    notifications.send(PENDING_TOO_LONG, throttle_key="etims-pending", throttle=6 * 3600,
                       link="/admin/etims/invoice/?status__in=pending,sent",
                       message=f"{facts.waiting} sale(s) not yet signed by eTIMS, the oldest for {hours:.1f} h. "
                               f"The counter keeps selling; receipts show 'eTIMS pending' until KRA answers.")
    return True


# --- the buyer's PIN at the sale ---------------------------------------------------------------------

def check_buyer_pin(pin: str):
    """A business customer's KRA PIN typed at the sale, checked with KRA's customer lookup
    (``selectCustomer``): a ``sales.services.Buyer`` (with KRA's name for it when found). A mistyped
    PIN, one KRA does not know or lists as inactive is refused (a Refusal: a plain 400); KRA down,
    slow or eTIMS off never blocks the sale: the PIN is kept unchecked and the receipt says so."""
    from modules.core.sales.services import Buyer

    pin = (pin or "").strip().upper().replace(" ", "")
    if not KRA_PIN.match(pin):
        raise Refusal(f"{pin or 'That'} is not a KRA PIN: a KRA PIN is a letter, 9 digits and a letter "
                      "(like A123456789Z).")
    if not enabled():
        return Buyer(pin)
    try:
        device_ = device()
        api = _ready(device_)
        api.timeout = settings.ETIMS_LOOKUP_TIMEOUT  # the counter waits for this: a short wait, then unchecked
        found = api.customer(pin)
    except (EtimsError, NotConfigured) as error:
        logger.warning("KRA PIN %s not checked: %s", pin, error)
        return Buyer(pin)
    if found is None:
        raise Refusal(f"KRA does not know the PIN {pin}: check it with the customer, or sell without a PIN.")
    if (found.get("taxprSttsCd") or "A") != "A":
        raise Refusal(f"KRA lists the PIN {pin} ({found.get('taxprNm') or 'no name'}) as not active: "
                      "ask the customer for their current PIN, or sell without a PIN.")
    return Buyer(pin, str(found.get("taxprNm") or "")[:60], checked=True)


def invoice_for(sale, kind: str = Invoice.Kind.SALE) -> Invoice | None:
    return Invoice.objects.select_related("device").filter(sale=sale, kind=kind).first()


def waiting_invoices():
    return Invoice.objects.filter(Q(status=Invoice.Status.PENDING) | Q(status=Invoice.Status.SENT))
