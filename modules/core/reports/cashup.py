"""The cash-up workflow: count the cash at the end of a day against the ledger's Cash account; a
difference goes to approval and is posted only when approved (``CashUp.approval_details`` and the
approvals hook carry the rest). ``cash_ups`` is the report of counts beside what the ledger expected.

    from modules.core.reports import cashup
    cashup.cash_position(water, day)["expected"]
    cashup.submit_cashup(water, day, "4350", request.user, note="short 50")
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from modules.core.approvals import services as approvals
from modules.core.businesses.models import Business
from modules.core.businesses.services import can_see_business
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account, JournalLine

from .models import CashUp
from .tables import ZERO, Column, Table


def cash_position(business: Business, day: date, code: str = chart.CASH) -> dict:
    """The ledger's Cash account (or ``code``: the M-Pesa till) for one business and day: opening,
    in, out, expected closing."""
    account = Account.objects.get(business=business, code=code)
    opening = ledger.balance(account, as_of=day - timedelta(days=1))
    moves = JournalLine.objects.filter(account=account, entry__date=day).aggregate(
        dr=Coalesce(Sum("debit"), ZERO), cr=Coalesce(Sum("credit"), ZERO))
    return {"opening": opening, "cash_in": moves["dr"], "cash_out": moves["cr"],
            "expected": opening + moves["dr"] - moves["cr"]}


def submit_cashup(business: Business, day: date, counted, user, *, note: str = "") -> CashUp:
    """Record a count. No difference: balanced, nothing to post. A difference: an approval request;
    the variance is posted to the ledger only when approved (at once if the counter may approve).
    The expected cash is taken from the ledger now, when the count is made."""
    try:
        counted = Decimal(str(counted)).quantize(Decimal("0.01"))
    except ArithmeticError:
        raise ValidationError("Type the cash you counted, e.g. 4350.") from None
    if not counted.is_finite() or counted < 0:
        raise ValidationError("The counted cash cannot be below zero.")
    if user is not None and not can_see_business(user, business.code):
        raise PermissionDenied("You cannot count cash for this business.")
    if day > timezone.localdate():
        raise ValidationError("You cannot count a day that has not come yet.")
    with transaction.atomic():
        Business.objects.select_for_update().get(pk=business.pk)  # one count at a time per business
        if CashUp.objects.filter(business=business, day=day).exclude(status=CashUp.Status.REJECTED).exists():
            raise ValidationError(f"{business.name} already has a cash-up for {day:%d %b %Y}.")
        expected = cash_position(business, day)["expected"]
        status = CashUp.Status.BALANCED if counted == expected else CashUp.Status.PENDING
        cashup = CashUp.objects.create(business=business, day=day, expected=expected, counted=counted,
                                       counted_by=user, note=note[:200], status=status)
        if status == CashUp.Status.PENDING:
            approvals.request_approval(cashup, abs(cashup.variance), user, note or cashup.variance_label)
            cashup.refresh_from_db()
    return cashup


def cash_ups(businesses, start: date, end: date, *, consolidated: bool = False) -> Table:
    """Per business and day with cash movements or a count: the ledger's expected cash beside the
    last count and its status."""
    table = Table([Column("day", "Day", "date"), Column("business", "Business"), Column("status", "Status"),
                   Column("variance", "Difference (KES)", "money"), Column("counted", "Counted (KES)", "money"),
                   Column("expected", "Expected (KES)", "money"), Column("opening", "Opening (KES)", "money"),
                   Column("cash_in", "Cash in (KES)", "money"), Column("cash_out", "Cash out (KES)", "money"),
                   Column("mpesa_expected", "Expected M-Pesa (KES)", "money"), Column("counted_by", "Counted by")])
    days = set(JournalLine.objects.filter(business__in=businesses, account__code__in=[chart.CASH, chart.MPESA],
                                          entry__date__gte=start, entry__date__lte=end)
               .values_list("business", "entry__date").distinct())
    counts: dict[tuple[int, date], CashUp] = {}
    for cashup in (CashUp.objects.filter(business__in=businesses, day__gte=start, day__lte=end)
                   .select_related("counted_by").order_by("pk")):
        counts[(cashup.business_id, cashup.day)] = cashup  # the latest count of the day wins
        days.add((cashup.business_id, cashup.day))
    names = {b.pk: b for b in businesses}
    for business_id, day in sorted(days, key=lambda k: (k[1], names[k[0]].code), reverse=True):
        position = cash_position(names[business_id], day)
        cashup = counts.get((business_id, day))
        row = {"day": day, "business": names[business_id].name, **position,
               "mpesa_expected": cash_position(names[business_id], day, chart.MPESA)["expected"]}
        if cashup:
            row.update(counted=cashup.counted, variance=cashup.variance, status=cashup.get_status_display(),
                       counted_by=cashup.counted_by.get_username() if cashup.counted_by else "",
                       cashup_id=cashup.pk, expected_at_count=cashup.expected)
        else:
            row.update(counted=None, variance=None, status="Not counted", counted_by="")
        pending = cashup is not None and cashup.status == CashUp.Status.PENDING
        table.add("issue" if pending or (cashup and cashup.status == CashUp.Status.REJECTED) else "", **row)
    table.notes.append("Expected = the Cash account's balance at the end of the day (opening + in - out); "
                       "expected M-Pesa likewise for the M-Pesa till. "
                       "In and out include every money movement (cash banked, floats, petty cash, cash to or from "
                       "another business), so banking the day's cash is no shortage. "
                       "A difference is posted to 6900 Cash over and short only after the owner approves it.")
    return table


__all__ = ["cash_position", "submit_cashup", "cash_ups"]
