"""Takings: the money customers paid, by any route, per business and day (Africa/Nairobi days).

One definition, read by every page that shows takings (the Today widget, daily sales, sales by
payment method, the businesses' own widgets), so they agree with each other and with the ledger:

    takings = what payments applied to what customers owed (sales of every kind: quick sales,
              laundry jobs, LPG, deliveries, credit sales; bottle deposits and invoices too),
              by route: cash, M-Pesa, bank, and customer credit applied.

What a payment brings beyond what was due is not takings: it becomes the customer's credit
(``left_as_credit``, shown apart), and counts as takings when it is spent (route "credit"). So,
for any day, cash + M-Pesa + bank takings = the debits to Cash, M-Pesa till and Bank from customer
receipts, less what was left as credit (tests/integration/test_takings.py, a hypothesis property).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from modules.core.payments.models import Payment

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
    first, after = _span(start, end)
    rows = (Payment.objects.filter(business__in=businesses, received_at__gte=first, received_at__lt=after)
            .annotate(day=TruncDate("received_at")).values("business", "day", "method")
            .annotate(applied=Sum("applied"), surplus=Sum("credit")).order_by())
    found: dict[tuple[int, date], dict] = {}
    for row in rows:
        figures = found.setdefault((row["business"], row["day"]), empty())
        figures[row["method"]] += row["applied"]
        figures["total"] += row["applied"]
        figures["left_as_credit"] += row["surplus"]
    return found


def for_day(business, day: date | None = None) -> dict:
    """One business's takings on one day (today by default)."""
    day = day or timezone.localdate()
    return by_day([business], day, day).get((business.pk, day), empty())


def add(into: dict, figures: dict) -> dict:
    for key, value in figures.items():
        into[key] = into.get(key, ZERO) + value
    return into
