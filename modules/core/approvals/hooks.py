"""What happens when this app's own document is approved: the ``on_approved(document, request)``
callback its rule names (other modules' live with them, e.g. ``inventory/approvals.py``). It runs
inside the approval's transaction: if it fails (a till that would go below zero), the approval is
rolled back with it and stays pending."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from modules.core.ledger import chart
from modules.core.ledger import services as ledger

from .models import ExpenseRequest

TILLS = {ExpenseRequest.Method.CASH: chart.CASH, ExpenseRequest.Method.MPESA: chart.MPESA,
         ExpenseRequest.Method.BANK: chart.BANK}


def _approver(request):
    return request.decided_by if request is not None else None


def pay_expense(expense, request):
    """Pay the expense: Dr its category (an expense account) / Cr the till it is paid from. Cash
    and M-Pesa may not go below zero: the ledger's LedgerError says how much the till holds."""
    expense = ExpenseRequest.objects.select_for_update(of=("self",)).select_related("business", "category").get(
        pk=expense.pk)
    if expense.status != ExpenseRequest.Status.PENDING:
        raise ValidationError(f"{expense} is {expense.get_status_display().lower()}: it cannot be paid.")
    by = _approver(request) or expense.requested_by
    entry = ledger.post(expense.business, timezone.localdate(),
                        f"Expense {expense.pk}: {expense.category_name}: {expense.description}"[:200],
                        [ledger.debit(expense.category.code if expense.category_id else chart.OPERATING_EXPENSES,
                                      expense.amount),
                         ledger.credit(TILLS[expense.method], expense.amount)],
                        source=expense, user=by)
    expense.status, expense.paid_at, expense.journal_entry = ExpenseRequest.Status.PAID, timezone.now(), entry
    expense.save(update_fields=["status", "paid_at", "journal_entry"])
    return entry

