"""Customer accounts: what a customer owes (credit sales "deni", laundry balances, anything sold and
not yet paid) and the credit they hold (paid over, a cancelled job's money kept), per business.

Two independent readings that must agree (tests/integration/test_customer_accounts.py, a
hypothesis property over random sales, payments, credits and refunds):

* the **statement**, built from the documents: sales (what was owed), payments applied, money paid
  over (credit), voids, credit refunds, with a dated running balance;
* the **sub-ledger**, built from the ledger: the Receivables (1100) and Customer credit (2200) lines
  of every entry whose source is one of the customer's sales (or the module document behind it,
  for entries posted before the one sale engine) or credit refunds, and of the M-Pesa inbox's
  allocations to one of the customer's phones as credit (and their reversals).

A payment undone later (an M-Pesa allocation reversed, a typed code that never arrived) shows as
paid on its day and owed again on the day it was undone, as its reversed entry does.

Balance = owed - credit: positive, the customer owes; negative, we owe them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Greatest
from django.utils import timezone

from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import JournalEntry, JournalLine
from modules.core.payments import services as payments
from modules.core.payments.documents import UNDOING, standing
from modules.core.payments.models import Allocation, Payment

from .models import CreditRefund, Sale

ZERO = Decimal("0.00")
HOW = {"cash": "cash", "mpesa": "M-Pesa", "split": "cash and M-Pesa", "credit": "on credit"}
AGES = (("0_30", "0-30 days", 0, 30), ("31_60", "31-60 days", 31, 60), ("61_90", "61-90 days", 61, 90),
        ("90_plus", "Over 90 days", 91, None))


def _sale_type():
    return ContentType.objects.get_for_model(Sale)


def _ledger_q(customer, business=None) -> Q:
    """Journal lines whose entry came from this customer's sales, their documents or credit refunds.

    The entries are found first, one indexed lookup (source type, source id) per kind of source,
    in one UNION query; an OR of those lookups over the whole journal made PostgreSQL scan it (a
    second for a customer on a year of data)."""
    sales = Sale.objects.filter(customer=customer)
    if business is not None:
        sales = sales.filter(business=business)
    entries = JournalEntry.objects.values_list("pk", flat=True)
    keys = sales.annotate(key=Cast("pk", CharField())).values("key")
    found = [entries.filter(source_type=_sale_type(), source_id__in=keys)]
    for type_id in sales.exclude(document_type=None).values_list("document_type", flat=True).distinct():
        found.append(entries.filter(source_type_id=type_id,
                                    source_id__in=sales.filter(document_type_id=type_id).values("document_id")))
    refunds = CreditRefund.objects.filter(customer=customer)
    if business is not None:
        refunds = refunds.filter(business=business)
    found.append(entries.filter(source_type=ContentType.objects.get_for_model(CreditRefund),
                                source_id__in=refunds.annotate(key=Cast("pk", CharField())).values("key")))
    credits = _credit_allocations(customer, business)
    found.append(entries.filter(pk__in=credits.values("journal_entry")))
    found.append(entries.filter(pk__in=Allocation.objects.filter(reverses__in=credits).values("journal_entry")))
    return Q(entry_id__in=list(found[0].union(*found[1:])))


def _credit_allocations(customer, business=None):
    """M-Pesa receipts the inbox allocated as credit to one of the customer's phones."""
    found = Allocation.objects.filter(kind=Allocation.Kind.CREDIT,
                                      customer_phone__in=customer.phones.values("phone"))
    return found.filter(business=business) if business is not None else found


def _figures(rows) -> dict:
    owed = rows.get(chart.RECEIVABLES, {}).get("dr", ZERO) - rows.get(chart.RECEIVABLES, {}).get("cr", ZERO)
    credit = rows.get(chart.CUSTOMER_CREDIT, {}).get("cr", ZERO) - rows.get(chart.CUSTOMER_CREDIT, {}).get("dr", ZERO)
    return {"owed": owed, "credit": credit, "balance": owed - credit}


def subledgers(customer, business=None, *, as_of: date | None = None) -> dict[int, dict]:
    """From the ledger, per business id: owed (Receivables), credit (Customer credit), balance =
    owed - credit; one query."""
    lines = JournalLine.objects.filter(_ledger_q(customer, business), account__code__in=[chart.RECEIVABLES,
                                                                                         chart.CUSTOMER_CREDIT])
    if as_of is not None:
        lines = lines.filter(entry__date__lte=as_of)
    found: dict[int, dict] = {}
    for row in lines.values("business", "account__code").annotate(dr=Sum("debit"), cr=Sum("credit")):
        found.setdefault(row["business"], {})[row["account__code"]] = {"dr": row["dr"], "cr": row["cr"]}
    return {business_id: _figures(rows) for business_id, rows in found.items()}


def subledger(customer, business=None, *, as_of: date | None = None) -> dict:
    """The sub-ledger of one business (or all together)."""
    parts = subledgers(customer, business, as_of=as_of).values()
    return {key: sum((part[key] for part in parts), ZERO) for key in ("owed", "credit", "balance")}


def credit_available(customer, business) -> Decimal:
    """The customer's credit with one business (it is that business's liability)."""
    return subledger(customer, business)["credit"] if customer is not None else ZERO


# --- the statement --------------------------------------------------------------------------------

@dataclass
class Line:
    day: date
    at: datetime
    business: str
    reference: str
    what: str
    debit: Decimal = ZERO  # the customer owes more
    credit: Decimal = ZERO  # the customer owes less (paid, credited)
    balance: Decimal = ZERO


def _local_day(moment):
    return timezone.localdate(moment)


def statement(customer, *, start: date | None = None, end: date | None = None, business=None) -> dict:
    """The customer's account from the documents, dated, with a running balance: the opening
    balance before ``start``, every line from ``start`` to ``end``, the closing balance.

    A sale is owed; a payment pays (its part above what was due becomes credit, so it counts in
    full); spending credit moves nothing (the credit was counted when it arose); a void takes the
    sale off and gives back what was paid (by its way or in cash: owed again, then paid out; kept
    as credit: nothing moves); refunding credit in money is owed back."""
    sales = Sale.objects.filter(customer=customer).select_related("business").prefetch_related("document")
    if business is not None:
        sales = sales.filter(business=business)
    sales = {sale.pk: sale for sale in sales}
    by_sale: dict[int, list[Payment]] = {}
    for payment in (Payment.objects.filter(document_type=_sale_type(), document_id__in=[str(pk) for pk in sales])
                    .prefetch_related("allocations").order_by("received_at", "pk")):
        by_sale.setdefault(int(payment.document_id), []).append(payment)
    lines: list[Line] = []
    for sale in sales.values():
        where, ref = sale.business.name, sale.receipt_number
        lines.append(Line(_local_day(sale.created_at), sale.created_at, where, ref,
                          f"{sale.label} ({HOW.get(sale.payment_method, sale.payment_method)})", debit=sale.total))
        for payment in by_sale.get(sale.pk, []):
            label = payment.get_method_display() + (f" {payment.mpesa_receipt}" if payment.mpesa_receipt else "")
            if payment.method == Payment.Method.CREDIT:
                lines.append(Line(_local_day(payment.received_at), payment.received_at, where, ref,
                                  f"KES {payment.amount:,} of credit used"))
            else:
                lines.append(Line(_local_day(payment.received_at), payment.received_at, where, ref,
                                  f"Paid: {label}" + (f" (KES {payment.credit:,} kept as credit)" if payment.credit
                                                      else ""), credit=payment.amount))
            undone = next((a for a in payment.allocations.all() if a.kind in UNDOING), None)
            if undone is not None:
                lines.append(Line(_local_day(undone.created_at), undone.created_at, where, ref,
                                  f"Undone: {label} ({undone.reason})",
                                  debit=payment.amount if payment.method != Payment.Method.CREDIT else ZERO))
        if sale.voided_at:
            lines.append(Line(_local_day(sale.voided_at), sale.voided_at, where, ref, f"Void: {sale.void_reason}",
                              credit=sale.total))
            before = [p for p in by_sale.get(sale.pk, []) if p.received_at <= sale.voided_at
                      and not any(a.kind in UNDOING and a.created_at <= sale.voided_at for a in p.allocations.all())]
            if sale.void_refund == "route":
                back = sum((p.amount for p in before if p.method != Payment.Method.CREDIT), ZERO)
                what = "Paid money given back"
            elif sale.void_refund == "cash":
                back, what = sum((p.applied for p in before), ZERO), "Refunded in cash"
            else:
                back, what = ZERO, f"KES {sum((p.applied for p in before), ZERO):,} paid kept as credit"
            if back or sale.void_refund == "credit":
                lines.append(Line(_local_day(sale.voided_at), sale.voided_at, where, ref, what, debit=back))
    refunds = CreditRefund.objects.filter(customer=customer).select_related("business")
    if business is not None:
        refunds = refunds.filter(business=business)
    for refund in refunds:
        lines.append(Line(_local_day(refund.created_at), refund.created_at, refund.business.name,
                          refund.reference, f"Credit refunded: {refund.get_method_display()}", debit=refund.amount))
    for allocation in _credit_allocations(customer, business).select_related("business", "receipt",
                                                                                   "reversed_by"):
        code = allocation.receipt.receipt or "without a code"
        lines.append(Line(_local_day(allocation.created_at), allocation.created_at, allocation.business.name, code,
                          f"M-Pesa {code} kept as credit", credit=allocation.amount))
        undone = getattr(allocation, "reversed_by", None)
        if undone is not None:
            lines.append(Line(_local_day(undone.created_at), undone.created_at, allocation.business.name, code,
                              f"Undone: M-Pesa {code} as credit ({undone.reason})", debit=allocation.amount))
    lines.sort(key=lambda line: line.at)
    opening, balance, shown = ZERO, ZERO, []
    for line in lines:
        balance += line.debit - line.credit
        line.balance = balance
        if start and line.day < start:
            opening = balance
        elif not end or line.day <= end:
            shown.append(line)
    closing = shown[-1].balance if shown else opening
    return {"customer": customer, "opening": opening, "lines": shown, "closing": closing,
            "owed": max(closing, ZERO), "credit": max(-closing, ZERO)}


# --- moving a customer's money --------------------------------------------------------------------

def open_sales(customer, business):
    """The customer's unpaid sales with one business, oldest first, with what is due on each."""
    paid = (standing(Payment.objects.filter(document_type=_sale_type(), document_id=Cast(OuterRef("pk"), CharField())))
            .values("document_id").annotate(total=Sum("applied")).values("total"))
    return (Sale.objects.filter(customer=customer, business=business, status=Sale.Status.COMPLETED,
                                paid_at__isnull=True)
            .annotate(applied=Coalesce(Subquery(paid), ZERO), due=Greatest(F("total") - F("applied"), Value(ZERO)))
            .filter(due__gt=0).order_by("created_at", "pk"))


def receive(customer, business, *, amount, method: str, user=None, mpesa_receipt=None) -> list[Payment]:
    """Money from a customer against what they owe a business (a credit sale's repayment): applied
    to their oldest unpaid sales first; what is left after all of them becomes their credit."""
    amount = Decimal(amount)
    if amount <= 0:
        raise ValidationError("A payment must be more than KES 0.")
    made = []
    with transaction.atomic():
        left = amount
        for sale in open_sales(customer, business):
            part = min(left, sale.due)
            made.append(payments.record_payment(sale, method=method, amount=part, payer_phone="", user=user,
                                                mpesa_receipt=mpesa_receipt if not made else None))
            left -= part
            if not left:
                break
        if left:
            if not made:
                last = Sale.objects.filter(customer=customer, business=business).order_by("-created_at").first()
                if last is None:
                    raise ValidationError(f"{customer} has bought nothing from {business.name}: nothing to pay for.")
                made.append(payments.record_payment(last, method=method, amount=left, user=user,
                                                    mpesa_receipt=mpesa_receipt))
            else:
                made.append(payments.record_payment(made[-1].document, method=method, amount=left, user=user))
    return made


def apply_credit(sale, amount=None, *, user=None) -> Payment:
    """Spend the customer's credit with this business on a sale (up to what is due on it)."""
    if sale.customer_id is None:
        raise ValidationError("This sale has no customer: there is no credit to use.")
    with transaction.atomic():
        due = payments.amount_due(sale)
        available = credit_available(sale.customer, sale.business)
        amount = min(due, available) if amount in (None, "") else Decimal(amount)
        if amount <= 0:
            raise ValidationError(f"{sale.customer} has no credit with {sale.business.name} to use."
                                  if available <= 0 else f"Nothing is due on receipt {sale.receipt_number}.")
        if amount > available:
            raise ValidationError(f"{sale.customer} has KES {available:,} of credit with {sale.business.name}, "
                                  f"not KES {amount:,}.")
        return payments.record_payment(sale, method=Payment.Method.CREDIT, amount=amount, user=user)


def refund_credit(customer, business, *, amount, method: str = "cash", user=None) -> CreditRefund:
    """Give a customer's credit back in money (cash, M-Pesa or bank): Dr Customer credit / Cr the
    till (which may not go below zero)."""
    amount = Decimal(amount)
    till = {"cash": chart.CASH, "mpesa": chart.MPESA, "bank": chart.BANK}.get(method)
    if till is None:
        raise ValidationError("Refund by cash, M-Pesa or bank.")
    with transaction.atomic():
        available = credit_available(customer, business)
        if amount <= 0 or amount > available:
            raise ValidationError(f"{customer} has KES {available:,} of credit with {business.name}: refund "
                                  f"more than 0 and at most that.")
        refund = CreditRefund.objects.create(customer=customer, business=business, amount=amount, method=method,
                                             created_by=user)
        ledger.post(business, timezone.localdate(), f"Credit refunded to {customer}: {refund.reference}",
                    [ledger.debit(chart.CUSTOMER_CREDIT, amount), ledger.credit(till, amount)], source=refund,
                    user=user)
    return refund


# --- who owes me ----------------------------------------------------------------------------------

def ageing(businesses, *, as_of: date | None = None) -> list[dict]:
    """Debtors ageing: per customer, what they owe on unpaid sales by the sale's age on ``as_of``
    (0-30, 31-60, 61-90, over 90 days), their credit, and the total, biggest debtor first."""
    as_of = as_of or timezone.localdate()
    until = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min))
    undone = Allocation.objects.filter(payment=OuterRef("pk"), kind__in=UNDOING, created_at__lt=until)
    paid = (Payment.objects.filter(document_type=_sale_type(), document_id=Cast(OuterRef("pk"), CharField()),
                                   received_at__lt=until).exclude(Exists(undone))
            .values("document_id").annotate(total=Sum("applied")).values("total"))
    rows = (Sale.objects.filter(business__in=businesses, customer__isnull=False, created_at__lt=until)
            .filter(Q(paid_at__isnull=True) | Q(paid_at__gte=until))  # the open ones: a small index
            .filter(Q(voided_at__isnull=True) | Q(voided_at__gte=until))
            .annotate(applied=Coalesce(Subquery(paid), ZERO), due=F("total") - F("applied"))
            .filter(due__gt=0).values("customer", "created_at", "due"))
    found: dict[int, dict] = {}
    for row in rows:
        age = (as_of - timezone.localdate(row["created_at"])).days
        key = next(k for k, _, low, high in AGES if age >= low and (high is None or age <= high))
        slot = found.setdefault(row["customer"], {k: ZERO for k, *_ in AGES})
        slot[key] += row["due"]
    from modules.core.customers.models import Customer

    people = Customer.objects.prefetch_related("phones").in_bulk(list(found))
    result = [{"customer": people[pk], **ages, "total": sum(ages.values(), ZERO)} for pk, ages in found.items()]
    return sorted(result, key=lambda row: (-row["total"], str(row["customer"])))
