"""What happens when a document is approved: the ``on_approved(document, request)`` callbacks named
by the approval rules. Each runs inside the approval's transaction: if it fails (a till that would
go below zero, stock that ran out), the approval is rolled back with it and stays pending."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from modules.core.ledger import chart
from modules.core.ledger import services as ledger

from .models import ExpenseRequest, TransferRequest

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


def execute_transfer(transfer_request, request):
    """Move the stock (inventory.transfer_stock, OutOfStock if the source no longer holds it)."""
    from modules.core.inventory.services import transfer_stock

    tr = TransferRequest.objects.select_for_update(of=("self",)).select_related(
        "item", "from_location", "to_location").get(pk=transfer_request.pk)
    if tr.status != TransferRequest.Status.PENDING:
        raise ValidationError(f"{tr} is {tr.get_status_display().lower()}: it cannot be moved.")
    transfer = transfer_stock(tr.item, tr.from_location, tr.to_location, tr.quantity, tr.requested_by,
                              note=(tr.note or f"Transfer request {tr.pk}")[:120], approval=request)
    tr.status, tr.transfer = TransferRequest.Status.DONE, transfer
    tr.save(update_fields=["status", "transfer"])
    return transfer


def post_count(count, request):
    """Post the approved stock count in the name of who asked to post it."""
    from modules.core.inventory.services import post_count as post

    return post(count, request.requested_by if request is not None else None)
