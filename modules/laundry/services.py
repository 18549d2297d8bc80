"""Public surface of the laundry module. Other modules never import it; they react to its events.

Money (decided here, see README): a drop-off is a sale of the core sale engine
(modules.core.sales), with the job as its document.
* Drop-off recognises the revenue (the engine's entry): Dr Receivables (total) / Cr Sales (net) /
  Cr VAT payable; the ticket number is the sale's receipt number (the business's one counter).
* Every payment (deposit, balance; cash here, M-Pesa through the payments core's STK push)
  is ``payments.record_payment(job.sale, …)``: Dr Cash or M-Pesa till / Cr Receivables.
* Cancelling voids the sale (``sales.void_sale``): the revenue entry is reversed and what was paid
  goes back, Dr Receivables / Cr Cash (refund) or Cr Customer credit (kept for the next job).
"""

import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.inventory.models import Item
from modules.core.payments import services as payments
from modules.core.payments.models import Payment
from modules.core.customers.phones import normalize_phone
from modules.core.registry import events
from modules.core.registry.refusals import Refusal
from modules.core.sales import services as sales

from .models import Job, JobEvent, JobLine, OverdueDigest

BUSINESS_CODE = "laundry"
EXPRESS_SKU = "L-EXPRESS"  # a flat surcharge per job; its price is in the price list
ZERO = Decimal("0.00")
UNCOLLECTED_AFTER = timedelta(days=7)
# What a laundry attendant needs (the Laundry staff role); cancelling stays with the owner.
LAUNDRY_DESK = ("laundry.view_job", "laundry.add_job", "laundry.change_job", "laundry.view_jobline",
                "laundry.view_jobevent", "laundry.view_overduedigest")


class JobChanged(Refusal):
    """Someone (or a double tap) already moved the job on; nothing was changed."""


@dataclass(frozen=True)
class JobLineInput:
    item_id: int
    quantity: Decimal


def business() -> Business:
    return Business.objects.get(code=BUSINESS_CODE)


def flow():
    return [Job.Status.RECEIVED, Job.Status.WASHING, Job.Status.DRYING, Job.Status.FINISHING, Job.Status.READY,
            Job.Status.COLLECTED]


def next_status(status):
    steps = flow()
    return steps[steps.index(status) + 1] if status in steps[:-1] else None


def services_on_sale(business_):
    """The price list a drop-off is made from (the express surcharge is a tick box, not a line)."""
    return Item.objects.filter(business=business_, is_active=True).exclude(sku=EXPRESS_SKU).order_by("selling_price",
                                                                                                    "name")


def express_item(business_):
    return Item.objects.filter(business=business_, sku=EXPRESS_SKU, is_active=True).first()


def default_promise(express: bool, now=None) -> datetime:
    """Express: six hours from now, or noon tomorrow after 2 pm. Otherwise the day after tomorrow, 5 pm."""
    now = timezone.localtime(now or timezone.now())
    if express:
        if now.hour < 14:
            return now + timedelta(hours=6)
        return timezone.make_aware(datetime.combine(now.date() + timedelta(days=1), time(12)))
    return timezone.make_aware(datetime.combine(now.date() + timedelta(days=2), time(17)))


def _sale_lines(business_, lines, express) -> list:
    """The job's lines as sale lines (the express surcharge is one more), services of this laundry only."""
    items = Item.objects.in_bulk([line.item_id for line in lines])
    result = []
    for line in lines:
        item = items.get(line.item_id)
        if item is None or item.business_id != business_.pk or not item.is_active or item.sku == EXPRESS_SKU:
            raise ValidationError("One of the services is not offered any more; reload the page.")
        result.append(sales.SaleLineInput(item.pk, sales.quantity(line.quantity)))
    if not result:
        raise ValidationError("Add at least one item or the weight in kg.")
    if express:
        item = express_item(business_)
        if item is None:
            raise ValidationError("Express service is not on the price list.")
        result.append(sales.SaleLineInput(item.pk, Decimal("1")))
    return result


def _event(job, kind, *, user, at, from_status="", to_status="", note=""):
    return JobEvent.objects.create(job=job, kind=kind, from_status=from_status, to_status=to_status,
                                   note=note[:200], user=user, at=at or timezone.now())


def create_job(business_: Business, *, customer_phone: str, lines: list[JobLineInput], customer_name: str = "",
               promised_at=None, express: bool = False, notes: str = "", deposit="0", method: str = "cash",
               client_uuid=None, user=None, at=None):
    """A drop-off, in one transaction: the sale (ticket number, lines, revenue entry and, for cash,
    the deposit or full payment) and the job around it. For M-Pesa the caller then asks with
    ``request_mpesa``. A ``client_uuid`` sent again returns the job it already made (a double tap
    makes one job)."""
    phone = normalize_phone(customer_phone)
    deposit = sales.amount(deposit or 0, "deposit")
    if method not in (Payment.Method.CASH, Payment.Method.MPESA):
        raise ValidationError(f"Unknown payment method {method!r}.")
    now = at or timezone.now()
    # what the form said (a default promise moves with the clock, so it is not part of what was sent)
    details = {"promised": promised_at.isoformat() if promised_at else None, "express": express,
               "notes": notes.strip(), "name": customer_name}
    promised_at = promised_at or default_promise(express, now)
    sale_lines = _sale_lines(business_, lines, express)
    total = sales.quote(business_, sale_lines, on=timezone.localdate(now)).total
    if deposit > total:
        raise ValidationError(f"The deposit (KES {deposit:,}) is more than the job (KES {total:,}).")
    paid_now = deposit if method == Payment.Method.CASH else ZERO

    def build(sale):
        job = _record_job(sale, phone, customer_name, promised_at, express, notes, user, now)
        if paid_now:  # the engine takes it in this transaction, right after
            _event(job, JobEvent.Kind.PAYMENT, user=user, at=now, note=f"Cash KES {paid_now:,}")
            Job.objects.filter(pk=job.pk).update(version=F("version") + 1)
        return sales.Built(document=job, memo=f"Laundry ticket LT-{sale.number:04d}")

    try:
        sale, created = sales.create_sale(
            business=business_, client_uuid=client_uuid or uuid.uuid4(), lines=sale_lines, method=method,
            cash_amount=paid_now, customer_phone=phone,
            customer_name=customer_name, user=user, kind="laundry", build=build, fingerprint_extra=details, at=now)
    except sales.SaleConflict:
        raise ValidationError("This form was already used; reload the page.") from None
    job = Job.objects.get(sale=sale)
    if created:
        events.publish("laundry.job_created", business=business_.code, job_id=job.pk)
    return job


def _record_job(sale, phone, customer_name, promised_at, express, notes, user, now):
    job = Job.objects.create(
        business=sale.business, sale=sale, number=sale.number, client_uuid=sale.client_uuid,
        customer_name=customer_name.strip()[:80], customer=sale.customer, customer_phone=phone, express=express,
        promised_at=promised_at, notes=notes.strip(), total=sale.total, vat=sale.vat, created_by=user)
    JobLine.objects.bulk_create([JobLine(job=job, item=line.item, quantity=line.quantity, unit_price=line.unit_price,
                                         line_total=line.line_total) for line in sale.lines.select_related("item")])
    _event(job, JobEvent.Kind.CREATED, user=user, at=now, to_status=Job.Status.RECEIVED,
           note=f"KES {sale.total:,}, promised {timezone.localtime(promised_at):%a %d %b %H:%M}")
    return job


def take_payment(job, *, amount=None, user=None, at=None) -> Payment:
    """Cash at the counter (deposit, or the balance at pickup). More than is due is refused:
    give change instead."""
    with transaction.atomic():
        job = Job.objects.select_for_update().select_related("sale").get(pk=job.pk)
        due = payments.amount_due(job.sale)
        amount = due if amount in (None, "") else sales.amount(amount, "payment")
        if job.status == Job.Status.CANCELLED:
            raise ValidationError(f"Ticket {job.ticket_number} is cancelled: nothing to pay.")
        if amount <= 0 or due <= 0:
            raise ValidationError(f"Nothing is due on ticket {job.ticket_number}." if due <= 0
                                  else "A payment must be more than KES 0.")
        if amount > due:
            raise ValidationError(f"Only KES {due:,} is due on ticket {job.ticket_number}; give change.")
        payment = payments.record_payment(job.sale, method=Payment.Method.CASH, amount=amount,
                                          payer_phone=job.customer_phone, user=user)
        _event(job, JobEvent.Kind.PAYMENT, user=user, at=at, note=f"Cash KES {amount:,}")
        Job.objects.filter(pk=job.pk).update(version=F("version") + 1)
    return payment


def request_mpesa(job, phone: str = "", *, amount=None, user=None):
    """M-Pesa STK push for what is due (or ``amount``), through the payments core. Call outside a
    transaction; the waiting screen (admin:payments:stk_wait) follows the request."""
    if job.status == Job.Status.CANCELLED:
        raise ValidationError(f"Ticket {job.ticket_number} is cancelled: nothing to pay.")
    due = payments.amount_due(job.sale)
    if amount is not None and sales.amount(amount, "amount") > due:
        raise ValidationError(f"Only KES {due:,} is due on ticket {job.ticket_number}.")
    return payments.ask_mpesa(job.sale, phone or job.customer_phone, amount=amount, user=user)


def advance(job, *, user=None, expected: str | None = None, at=None):
    """One step along Received → Washing → Drying → Ironing/Folding → Ready → Collected.
    ``expected`` is the status the person saw: if the job has moved on since (a double tap, a
    colleague), nothing changes and JobChanged says where it is. Collection needs the balance paid."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if expected and job.status != expected:
            raise JobChanged(f"Ticket {job.ticket_number} is already {job.get_status_display()}.")
        to = next_status(job.status)
        if to is None:
            raise ValidationError(f"Ticket {job.ticket_number} is {job.get_status_display()}: it cannot move on.")
        now = at or timezone.now()
        if to == Job.Status.COLLECTED:
            due = payments.amount_due(job.sale)
            if due > 0:
                raise ValidationError(f"Take the balance of KES {due:,} before handing over {job.ticket_number}.")
            job.collected_at = now
        if to == Job.Status.READY:
            job.ready_at = now
        _event(job, JobEvent.Kind.STATUS, user=user, at=now, from_status=job.status, to_status=to)
        job.status = to
        job.version += 1
        job.save(update_fields=["status", "ready_at", "collected_at", "version", "updated_at"])
    events.publish("laundry.status_changed", business=job.business.code, job_id=job.pk, status=to)
    return job


def cancel_job(job, *, reason: str, refund: str = "cash", user=None, at=None):
    """Cancel before collection: the job's sale is voided (the revenue entry reversed) and what was
    paid goes back, as cash (Dr Receivables / Cr Cash: refused when the till is short) or as
    customer credit. The job is told by the engine (Job.sale_voided) and moves to Cancelled."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the job is cancelled.")
    if refund not in ("cash", "credit"):
        raise ValidationError("Refund as cash or as customer credit.")
    sales.void_sale(job.sale, reason=reason, refund=refund, user=user, at=at or timezone.now(),
                    memo=f"Cancelled laundry ticket {job.ticket_number}: {reason}")
    job = Job.objects.get(pk=job.pk)
    events.publish("laundry.status_changed", business=job.business.code, job_id=job.pk, status=job.status)
    return job


# --- reading ------------------------------------------------------------------------------------

def open_statuses():
    return [Job.Status.RECEIVED, Job.Status.WASHING, Job.Status.DRYING, Job.Status.FINISHING]


def overdue_jobs(business_, now=None):
    """Past the promised time and not Ready yet."""
    return Job.objects.filter(business=business_, status__in=open_statuses(),
                              promised_at__lt=now or timezone.now()).order_by("promised_at")


def uncollected_jobs(business_, now=None):
    """Ready for more than seven days and still not collected."""
    return Job.objects.filter(business=business_, status=Job.Status.READY,
                              ready_at__lt=(now or timezone.now()) - UNCOLLECTED_AFTER).order_by("ready_at")


def counts_by_status(business_) -> dict:
    counts = dict(Job.objects.filter(business=business_).exclude(status__in=[Job.Status.COLLECTED,
                                                                             Job.Status.CANCELLED])
                  .values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {status: counts.get(status, 0) for status in flow()[:-1]}


def balance_due(job) -> Decimal:
    return payments.amount_due(job.sale)


def amount_paid(job) -> Decimal:
    return payments.amount_paid(job.sale)


def notify_overdue(business_, *, now=None):
    """The daily check: record what is overdue and what has waited a week to be collected, and
    publish ``laundry.overdue`` (JSON-safe) once per business and day. Returns the digest."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    with transaction.atomic():
        digest, created = OverdueDigest.objects.get_or_create(business=business_, day=day, defaults={
            "overdue_job_ids": list(overdue_jobs(business_, now).values_list("pk", flat=True)),
            "uncollected_job_ids": list(uncollected_jobs(business_, now).values_list("pk", flat=True))})
        if created and (digest.overdue_job_ids or digest.uncollected_job_ids):
            events.publish("laundry.overdue", business=business_.code, day=day.isoformat(),
                           overdue_count=len(digest.overdue_job_ids), overdue_job_ids=digest.overdue_job_ids,
                           uncollected_count=len(digest.uncollected_job_ids),
                           uncollected_job_ids=digest.uncollected_job_ids)
    return digest


# --- customer-facing ----------------------------------------------------------------------------

def parse_ticket(ticket_number) -> int | None:
    digits = re.sub(r"\D", "", str(ticket_number or ""))[:9]
    return int(digits) if digits else None


def job_status_for_customer(ticket_number, phone) -> dict | None:
    """What a customer may know about their job, given the ticket number and their phone: the last
    4 digits, or the whole number (the public site asks for it once a ticket drew wrong guesses).
    None for anything else: a wrong ticket and a wrong phone look the same (one query, one
    constant-time compare). Rate limits are the public site's (modules.core.cms.lookups)."""
    number = parse_ticket(ticket_number)
    digits = re.sub(r"\D", "", str(phone or ""))
    job = (Job.objects.filter(business__code=BUSINESS_CODE, number=number).select_related("business").first()
           if number else None)
    on_file = job.customer_phone if job else "none"
    if len(digits) > 4:
        try:
            given = normalize_phone(digits)
        except ValidationError:
            given = "invalid"
    else:
        given, on_file = digits.rjust(4, "x"), on_file[-4:]
    if not hmac.compare_digest(on_file.encode(), given.encode()) or job is None:
        return None
    due = payments.amount_due(job.sale)
    local = timezone.localtime
    return {
        "ticket": job.ticket_number,
        "business": job.business.name,
        "status": job.status,
        "status_label": job.get_status_display(),
        "promised": local(job.promised_at).isoformat(),
        "ready": job.status == Job.Status.READY,
        "ready_at": local(job.ready_at).isoformat() if job.ready_at else None,
        "collected": job.status == Job.Status.COLLECTED,
        "collected_at": local(job.collected_at).isoformat() if job.collected_at else None,
        "balance": f"{due:.2f}",
    }
