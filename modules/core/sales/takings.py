"""Takings: the money customers paid, by any route, per business and day (Africa/Nairobi days).

One definition, read by every page that shows takings (the Today widget, daily sales, sales by
payment method, the businesses' own widgets), so they agree with each other and with the ledger:

    takings = what payments applied to what customers owed (sales of every kind: quick sales,
              laundry jobs, LPG, deliveries, credit sales; bottle deposits and invoices too),
              by route: cash, M-Pesa, bank, and customer credit applied.

What a payment brings beyond what was due is not takings: it becomes the customer's credit
(``left_as_credit``, shown apart), and counts as takings when it is spent (route "credit"). M-Pesa
money that waited in the inbox counts on the day it reached the till (its receipt's booking), not
the day it was allocated; allocated as credit to a phone, it is left as credit that day; a payment
undone later (an allocation reversed, a typed code that never arrived) does not count. So, for
any day, cash + M-Pesa + bank takings + left as credit = the debits to Cash, M-Pesa till and Bank
from customer money that day (payments, and inbox receipts that stand allocated), less what was
undone (tests/integration/test_takings.py, a hypothesis property).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from modules.core.payments.documents import standing
from modules.core.payments.models import Allocation, Payment

ZERO = Decimal("0.00")
ROUTES = ("cash", "mpesa", "bank", "credit")
LABELS = {"cash": "Cash", "mpesa": "M-Pesa", "bank": "Bank", "credit": "Customer credit"}


def empty() -> dict:
    return {**dict.fromkeys(ROUTES, ZERO), "total": ZERO, "left_as_credit": ZERO}


def _span(start: date, end: date):
    first = timezone.make_aware(datetime.combine(start, time.min))
    return first, timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))


def by_day(businesses, start: date, end: date) -> dict[tuple[int, date], dict]:
    """{(business id, day): {cash, mpesa, bank, credit, total, left_as_credit}} for the days with
    payments, in one query (an index on payments' business and time serves it)."""
    first, _ = _span(start, end)
    reached_till = Allocation.objects.filter(payment=OuterRef("pk"), kind=Allocation.Kind.DOCUMENT).values(
        "receipt__journal_entry__date")[:1]  # M-Pesa inbox money: the day its receipt was booked
    rows = (standing(Payment.objects.filter(business__in=businesses, received_at__gte=first))
            .annotate(day=Coalesce(Subquery(reached_till), TruncDate("received_at")))
            .filter(day__gte=start, day__lte=end).values("business", "day", "method")
            .annotate(applied=Sum("applied"), surplus=Sum("credit")).order_by())
    found: dict[tuple[int, date], dict] = {}
    for row in rows:
        figures = found.setdefault((row["business"], row["day"]), empty())
        figures[row["method"]] += row["applied"]
        figures["total"] += row["applied"]
        figures["left_as_credit"] += row["surplus"]
    kept = (Allocation.objects.filter(business__in=businesses, kind=Allocation.Kind.CREDIT, reversed_by__isnull=True,
                                      receipt__journal_entry__date__gte=start, receipt__journal_entry__date__lte=end)
            .values("business", day=F("receipt__journal_entry__date")).annotate(amount=Sum("amount")).order_by())
    for row in kept:
        found.setdefault((row["business"], row["day"]), empty())["left_as_credit"] += row["amount"]
    return found


def for_day(business, day: date | None = None) -> dict:
    """One business's takings on one day (today by default)."""
    day = day or timezone.localdate()
    return by_day([business], day, day).get((business.pk, day), empty())


def add(into: dict, figures: dict) -> dict:
    for key, value in figures.items():
        into[key] = into.get(key, ZERO) + value
    return into
