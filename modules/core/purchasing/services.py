"""Public surface of purchasing: order, approve, send, receive into stock, bill and pay suppliers.

Money: receiving posts Dr Inventory / Cr Payables at the order's unit costs; a bill against an
order documents that liability (it posts nothing); a standalone bill posts Dr Operating expenses /
Cr Payables; a payment posts Dr Payables / Cr Cash, M-Pesa or Bank. Cash and the M-Pesa till
cannot go below zero: the ledger refuses with a LedgerError whose message says so.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, F, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from modules.core.businesses.services import can_see_business
from modules.core.inventory.models import Item, StockLevel, StockMovement
from modules.core.inventory.services import move_stock, value_at_cost
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.registry import events
from modules.core.registry.refusals import Refusal

from .models import GoodsReceipt, PurchaseOrder, PurchaseOrderLine, Supplier, SupplierBill, SupplierPayment

APPROVAL_THRESHOLD = Decimal("50000")  # KES: orders above this need purchasing.approve_purchaseorder
COST_PLACES = Decimal("0.0001")
ZERO = Decimal("0.00")
Status = PurchaseOrder.Status
TILLS = {SupplierPayment.Method.CASH: chart.CASH, SupplierPayment.Method.MPESA: chart.MPESA,
         SupplierPayment.Method.BANK: chart.BANK}


class PurchasingError(Refusal):
    """A purchasing step refused; the message is written for the person who tried it."""


class ApprovalRequired(PurchasingError):
    """The order is above APPROVAL_THRESHOLD and has not been approved."""


def _locked(po) -> PurchaseOrder:
    return PurchaseOrder.objects.select_for_update(of=("self",)).select_related("business", "supplier").get(pk=po.pk)


def _number(value) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        raise PurchasingError(f"{value!r} is not a number.") from None
    if not number.is_finite():
        raise PurchasingError(f"{value!r} is not a number.")
    return number


def _amount(value, what="amount") -> Decimal:
    value = _number(value)
    if value <= 0:
        raise PurchasingError(f"The {what} must be more than 0.")
    return value


# --- orders ------------------------------------------------------------------------------------

def needs_approval(po) -> bool:
    """True while the order is at or above the purchasing.PurchaseOrder approval rule's threshold
    (declared in module.py: above APPROVAL_THRESHOLD) and has no approved ApprovalRequest."""
    from modules.core.approvals import services as approvals

    return approvals.required(po, po.total) and po.approved_at is None and not approvals.is_approved(po, po.total)


@transaction.atomic
def approve(po, user, *, comment="", ip=None, device="") -> PurchaseOrder:
    """The owner approves the order from its list: decides its pending ApprovalRequest, or makes
    and approves one (modules.core.approvals); ``approval_granted`` then marks the order approved.
    Only holders of purchasing.approve_purchaseorder who see the business; a rejected order stays
    refused."""
    from modules.core.approvals import services as approvals

    if not (user.has_perm("purchasing.approve_purchaseorder") and can_see_business(user, po.business.code)):
        raise PermissionDenied("Only the owner (or someone allowed to approve purchase orders) can approve this order.")
    po = _locked(po)
    if po.status != Status.DRAFT:
        raise PurchasingError(f"{po} is {po.get_status_display().lower()}: only a draft can be approved.")
    if not po.lines.exists():
        raise PurchasingError(f"{po} has no lines to approve.")
    approvals.approve_document(po, po.total, user, comment=comment, ip=ip, device=device)
    if approvals.status_for(po) != approvals.Status.APPROVED:  # the rule wants a second approver
        raise approvals.ApprovalPending(f"{po}: your approval is recorded; a second approver must approve it too.")
    po.refresh_from_db()
    return po


def approval_granted(po, request) -> None:
    """on_approved of the purchasing.PurchaseOrder rule: the approved order becomes sendable."""
    po = _locked(po)
    if po.status != Status.DRAFT:
        raise PurchasingError(f"{po} is {po.get_status_display().lower()}: only a draft can be approved.")
    po.status, po.approved_by, po.approved_at = Status.APPROVED, request.decided_by, timezone.now()
    po.save(update_fields=["status", "approved_by", "approved_at"])
    events.publish("purchasing.approved", business=po.business.code, purchase_order_id=po.pk)


@transaction.atomic
def send(po, user=None) -> PurchaseOrder:
    """Mark the order as sent to the supplier; above the threshold it must be approved first."""
    po = _locked(po)
    if po.status not in (Status.DRAFT, Status.APPROVED):
        raise PurchasingError(f"{po} is {po.get_status_display().lower()}: it cannot be sent again.")
    if not po.lines.exists():
        raise PurchasingError(f"Add at least one line to {po} before sending it.")
    if needs_approval(po):
        from modules.core.approvals import services as approvals

        state = {approvals.Status.PENDING: " Its approval request is waiting for the owner.",
                 approvals.Status.REJECTED: " Its approval was rejected: it cannot be sent."}.get(
            approvals.status_for(po), "")
        raise ApprovalRequired(f"{po} totals KES {po.total:,}, above the KES {APPROVAL_THRESHOLD:,} limit: "
                               f"it must be approved before it is sent.{state}")
    po.status, po.sent_at = Status.SENT, timezone.now()
    po.save(update_fields=["status", "sent_at"])
    return po


@transaction.atomic
def cancel(po, user=None) -> PurchaseOrder:
    po = _locked(po)
    if po.status not in (Status.DRAFT, Status.APPROVED, Status.SENT):
        raise PurchasingError(f"{po} is {po.get_status_display().lower()}: it can no longer be cancelled.")
    po.status = Status.CANCELLED
    po.save(update_fields=["status"])
    return po


# --- receiving ---------------------------------------------------------------------------------

@transaction.atomic
def receive(po, quantities: dict, location, user=None, *, exchanged: dict | None = None) -> GoodsReceipt:
    """Receive some or all of a sent order into a location: ``quantities`` is {line_id: quantity}
    (empty or 0 skips a line). RECEIPT movements at the line's unit cost, the item's moving-average
    cost updated under a row lock, and one entry Dr Inventory / Cr Payables.

    ``exchanged`` (optional, {line_id: (item, quantity)}): goods handed back to the supplier in the
    same delivery in exchange for that line's goods, e.g. LPG empties swapped for fulls. They leave
    the location as RETURN movements at their average cost, and that value joins the received goods'
    cost (the full cylinder's average includes its shell) without being owed to the supplier, so
    Inventory still rises by exactly what is owed and the one entry stays Dr Inventory / Cr Payables."""
    po = _locked(po)
    if po.status not in (Status.SENT, Status.PARTLY_RECEIVED):
        raise PurchasingError(f"{po} is {po.get_status_display().lower()}: only a sent order can be received.")
    if location is None or location.business_id != po.business_id:
        raise PurchasingError(f"Receive {po} into a location of {po.business.name}.")
    parsed = {int(line_id): _number(quantity) for line_id, quantity in quantities.items() if quantity not in (None, "")}
    wanted = {line_id: _amount(quantity, "quantity received") for line_id, quantity in parsed.items() if quantity}
    if not wanted:
        raise PurchasingError("Enter the quantity received for at least one line.")
    lines = {line.pk: line for line in po.lines.filter(pk__in=list(wanted))}
    for line_id, quantity in wanted.items():
        line = lines.get(line_id)
        if line is None:
            raise PurchasingError(f"Line {line_id} is not on {po}.")
        if quantity > line.outstanding:
            raise PurchasingError(f"{line.item}: {line.outstanding.normalize():f} still to come, "
                                  f"not {quantity.normalize():f}.")
    given = {int(line_id): (item, _amount(quantity, "quantity handed back"))
             for line_id, (item, quantity) in (exchanged or {}).items()}
    for line_id, (item, _) in given.items():
        if line_id not in wanted:
            raise PurchasingError(f"Goods handed back for line {line_id}, which is not being received now.")
        if item.business_id != po.business_id or not item.tracks_stock:
            raise PurchasingError(f"{item.name} cannot be handed back on {po}.")
    items = {item.pk: item for item in Item.objects.select_for_update()  # one cost update at a time
             .filter(pk__in=[line.item_id for line in lines.values()] + [item.pk for item, _ in given.values()])
             .order_by("pk")}
    for item in items.values():
        if not item.tracks_stock:
            raise PurchasingError(f"{item.name} does not track stock: bill it as a standalone supplier bill.")
    receipt = GoodsReceipt.objects.create(
        business=po.business, purchase_order=po, location=location, received_by=user,
        total=sum((value_at_cost(q, lines[pk].unit_cost) for pk, q in wanted.items()), ZERO))
    for line_id, quantity in wanted.items():
        line, item = lines[line_id], items[lines[line_id].item_id]
        back, back_quantity = (items[given[line_id][0].pk], given[line_id][1]) if line_id in given else (None, ZERO)
        given_value = value_at_cost(back_quantity, back.cost) if back else ZERO
        held = max(StockLevel.objects.filter(item=item).aggregate(q=Coalesce(Sum("quantity"), ZERO))["q"], ZERO)
        average = (held * item.cost + quantity * line.unit_cost + given_value) / (held + quantity)
        item.cost = average.quantize(COST_PLACES, rounding=ROUND_HALF_UP)
        item.save(update_fields=["cost", "updated_at"])
        move_stock(item, location, quantity, StockMovement.Kind.RECEIPT, reason=f"{po} from {po.supplier.name}",
                   source=receipt, user=user,
                   unit_cost=(line.unit_cost + given_value / quantity).quantize(COST_PLACES, rounding=ROUND_HALF_UP))
        if back:  # after the receipt: stock rows are locked in one order (what comes in, then what goes out)
            move_stock(back, location, -back_quantity, StockMovement.Kind.RETURN, source=receipt, user=user,
                       reason=f"Handed back to {po.supplier.name} on {po}")
        line.received += quantity
    PurchaseOrderLine.objects.bulk_update(lines.values(), ["received"])
    po.status = Status.RECEIVED if all(line.outstanding <= 0 for line in po.lines.all()) else Status.PARTLY_RECEIVED
    po.save(update_fields=["status"])
    if receipt.total:
        ledger.post(po.business, timezone.localdate(), f"Goods received: {po} from {po.supplier.name}",
                    [ledger.debit(chart.INVENTORY, receipt.total), ledger.credit(chart.PAYABLES, receipt.total)],
                    source=receipt, user=user)
    return receipt


def received_value(po) -> Decimal:
    return po.receipts.aggregate(total=Coalesce(Sum("total"), ZERO))["total"]


def unbilled_value(po) -> Decimal:
    """Received on the order (at its VAT-exclusive unit costs) and not yet covered by a supplier bill."""
    billed = po.bills.aggregate(total=Coalesce(Sum(F("amount") - F("vat")), ZERO))["total"]
    return received_value(po) - billed


# --- bills and payments ------------------------------------------------------------------------

@transaction.atomic
def record_bill(supplier, amount, *, vat="0", reference="", purchase_order=None, bill_date=None,
                category=None, user=None, etims_invoice="") -> SupplierBill:
    """A supplier's invoice; ``amount`` includes ``vat``, the claimable input VAT on it.

    Against an order, the amount without VAT must equal what was received and not yet billed
    (orders are costed without VAT); receiving already put that in Payables, so only the VAT is
    posted: Dr VAT on purchases / Cr Payables. A standalone bill (transport, services, rent) posts
    Dr its expense ``category`` (an account or its code; default: other operating expenses, 6000)
    without VAT and Dr VAT on purchases / Cr Payables (the whole bill).

    ``etims_invoice``: the supplier's eTIMS invoice number (SCU ID/number, or the number); without
    one the expense is not deductible (etims lists those bills for the accountant)."""
    amount = _amount(amount)
    etims_invoice = clean_etims_invoice(etims_invoice)
    vat = _number(vat or "0")
    if vat < 0 or vat >= amount:
        raise PurchasingError(f"The VAT (KES {vat:,}) must be at least 0 and less than the bill (KES {amount:,}).")
    net = amount - vat
    bill_date = bill_date or timezone.localdate()
    entry = None
    if purchase_order is not None:
        po = _locked(purchase_order)
        if po.supplier_id != supplier.pk:
            raise PurchasingError(f"{po} is with {po.supplier.name}, not {supplier.name}.")
        unbilled = unbilled_value(po)
        if unbilled <= 0:
            raise PurchasingError(f"Nothing received on {po} is waiting for a bill.")
        if net != unbilled:
            raise PurchasingError(f"{po}: KES {unbilled:,} received is waiting for a bill, so a bill against it "
                                  f"must be KES {unbilled:,} before VAT. Bill extra charges (transport) on their own.")
        payable, lines = vat, []  # the goods have been in Payables since they were received
    else:
        try:
            category = chart.category_for(supplier.business, category or chart.OPERATING_EXPENSES)
        except ValidationError as error:
            raise PurchasingError(error.messages) from None
        payable, lines = amount, [ledger.debit(category.code, net)]
    if payable:
        lines += [ledger.debit(chart.INPUT_VAT, vat)] if vat else []
        memo = f"Bill {reference} from {supplier.name}" if reference else f"Bill from {supplier.name}"
        entry = ledger.post(supplier.business, bill_date, memo, lines + [ledger.credit(chart.PAYABLES, payable)],
                            source=supplier, user=user)
    return SupplierBill.objects.create(business_id=supplier.business_id, supplier=supplier,
                                       purchase_order=purchase_order, reference=reference, bill_date=bill_date,
                                       amount=amount, vat=vat, category=category if purchase_order is None else None,
                                       journal_entry=entry, created_by=user,
                                       etims_invoice=etims_invoice)


ETIMS_INVOICE = re.compile(r"^(?:[A-Z0-9]{1,20}/)?[0-9]{1,12}$")


def clean_etims_invoice(value) -> str:
    """A supplier's eTIMS invoice number as printed: ``SCU ID/invoice number`` (KRACU0100000001/123)
    or the bare number; spaces dropped, upper case. Anything else is refused (a plain message)."""
    value = re.sub(r"\s+", "", str(value or "")).upper()
    if value and not ETIMS_INVOICE.match(value):
        raise PurchasingError(f"{value[:40]} is not an eTIMS invoice number: type it as printed on the supplier's "
                              "receipt, like KRACU0100000001/123 (SCU ID/invoice number) or just 123.")
    return value


def bill_outstanding(bill) -> Decimal:
    return bill.amount - bill.payments.aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]


def supplier_balance(supplier) -> Decimal:
    """What we owe the supplier: goods received, the VAT billed on them, standalone bills, less
    payments (negative: an advance)."""
    received = GoodsReceipt.objects.filter(purchase_order__supplier=supplier).aggregate(
        total=Coalesce(Sum("total"), ZERO))["total"]
    billed = supplier.bills.aggregate(total=Coalesce(Sum(Case(When(purchase_order=None, then=F("amount")),
                                                              default=F("vat"))), ZERO))["total"]
    paid = supplier.payments.aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
    return received + billed - paid


@transaction.atomic
def pay_supplier(supplier, amount, method, *, bill=None, reference="", user=None) -> SupplierPayment:
    """Money paid out: Dr Payables / Cr Cash, M-Pesa or Bank. Against a bill, at most what is left
    on it; without one it may also be an advance. A till that would go below zero raises the
    ledger's LedgerError ("Cash would go below zero: it holds KES …")."""
    amount = _amount(amount)
    if method not in TILLS:
        raise PurchasingError(f"Pay by {', '.join(str(m.label) for m in TILLS)}.")
    supplier = Supplier.objects.select_for_update(of=("self",)).select_related("business").get(pk=supplier.pk)
    if bill is not None:
        if bill.supplier_id != supplier.pk:
            raise PurchasingError(f"{bill} is not from {supplier.name}.")
        left = bill_outstanding(bill)
        if amount > left:
            raise PurchasingError(f"Only KES {left:,} is left to pay on {bill}.")
    label = SupplierPayment.Method(method).label
    entry = ledger.post(supplier.business, timezone.localdate(),
                        f"{label} to {supplier.name}" + (f" ({reference})" if reference else ""),
                        [ledger.debit(chart.PAYABLES, amount), ledger.credit(TILLS[method], amount)],
                        source=supplier, user=user)
    return SupplierPayment.objects.create(business=supplier.business, supplier=supplier, bill=bill, method=method,
                                          amount=amount, reference=reference, journal_entry=entry, paid_by=user)
