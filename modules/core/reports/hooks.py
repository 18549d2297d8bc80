"""on_approved callback of the cash-up rule: runs inside the approval's transaction."""

from django.core.exceptions import ValidationError

from modules.core.ledger import chart
from modules.core.ledger import services as ledger

from .models import CashUp
from .module import CASH_OVER_SHORT


def post_variance(cashup, request):
    """Short: Dr Cash over and short / Cr Cash. Over: Dr Cash / Cr Cash over and short. Dated on the
    cash-up day, so the Cash account then holds what was counted that evening. A shortage larger
    than the Cash balance is refused by the ledger (LedgerError) and the approval rolls back."""
    cashup = CashUp.objects.select_for_update().select_related("business").get(pk=cashup.pk)
    if cashup.status != CashUp.Status.PENDING:
        raise ValidationError(f"{cashup} is {cashup.get_status_display().lower()}: nothing to post.")
    variance = cashup.variance
    if variance < 0:
        lines = [ledger.debit(CASH_OVER_SHORT, -variance), ledger.credit(chart.CASH, -variance)]
    else:
        lines = [ledger.debit(chart.CASH, variance), ledger.credit(CASH_OVER_SHORT, variance)]
    by = request.decided_by if request is not None else None
    # A LedgerError (e.g. the drawer was emptied since) is a ValidationError: the approval page says why.
    entry = ledger.post(cashup.business, cashup.day, f"Cash-up {cashup.day:%d %b %Y}: {cashup.variance_label}",
                        lines, source=cashup, user=by)
    cashup.status, cashup.journal_entry = CashUp.Status.POSTED, entry
    cashup.save(update_fields=["status", "journal_entry"])
    return entry
