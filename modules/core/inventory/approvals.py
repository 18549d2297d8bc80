"""Inventory's documents that wait for the owner (``approvals``' public services and rules): asking
to move stock (``TransferRequest``), and the ``on_approved`` hooks module.py names for transfer
requests and stock counts. Each hook runs inside the approval's transaction: OutOfStock (or any
refusal) rolls the decision back and the request stays pending."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction

from modules.core.approvals import services as approvals
from modules.core.businesses.services import can_see_business
from modules.core.registry.refusals import Refusal

from . import services
from .models import TransferRequest


def _quantity(value) -> Decimal:
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Refusal(f"{value!r} is not a number.") from None
    if not quantity.is_finite() or quantity <= 0:
        raise Refusal("The quantity must be more than 0.")
    return quantity


@transaction.atomic
def request_transfer(item, from_location, to_location, quantity, user, *, note: str = "") -> TransferRequest:
    """Ask to move stock between two locations of one business. Below the transfer rule's
    threshold (or for an approver) the transfer is made at once; otherwise it waits for approval
    and approving it runs ``services.transfer_stock``."""
    quantity = _quantity(quantity)
    services.check_transfer(item, from_location, to_location)
    if user is not None and not can_see_business(user, item.business.code):
        raise PermissionDenied("You cannot move stock in this business.")
    transfer_request = TransferRequest.objects.create(
        business_id=item.business_id, item=item, from_location=from_location, to_location=to_location,
        quantity=quantity, value=services.value_at_cost(quantity, item.cost), note=note[:120], requested_by=user)
    if approvals.required(transfer_request, transfer_request.value):
        approvals.request_approval(transfer_request, transfer_request.value, user, note)
    else:
        execute_transfer(transfer_request, None)
    transfer_request.refresh_from_db()
    return transfer_request


def execute_transfer(transfer_request, request):
    """``on_approved`` of a transfer request: move the stock (OutOfStock if the source no longer
    holds it)."""
    tr = TransferRequest.objects.select_for_update(of=("self",)).select_related(
        "item", "from_location", "to_location").get(pk=transfer_request.pk)
    if tr.status != TransferRequest.Status.PENDING:
        raise Refusal(f"{tr} is {tr.get_status_display().lower()}: it cannot be moved.")
    transfer = services.transfer_stock(tr.item, tr.from_location, tr.to_location, tr.quantity, tr.requested_by,
                                       note=(tr.note or f"Transfer request {tr.pk}")[:120], approval=request)
    tr.status, tr.transfer = TransferRequest.Status.DONE, transfer
    tr.save(update_fields=["status", "transfer"])
    return transfer


def post_count(count, request):
    """``on_approved`` of a stock count: post it in the name of who asked to post it."""
    return services.post_count(count, request.requested_by if request is not None else None)
