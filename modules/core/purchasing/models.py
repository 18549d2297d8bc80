"""Buying stock: suppliers, purchase orders, goods received, supplier bills and payments out."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from modules.core.businesses.history import history_of
from modules.core.businesses.models import Business
from modules.core.inventory.models import QUANTITY, Item, Location
from modules.core.ledger.models import MONEY, JournalEntry
from modules.core.customers.models import KRA_PIN
from modules.core.customers.phones import PHONE_HELP, normalize_phone

CENT = Decimal("0.01")


class Supplier(models.Model):
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="suppliers")
    name = models.CharField(max_length=120)
    phone = models.CharField(max_length=20, blank=True, help_text=PHONE_HELP)
    kra_pin = models.CharField("KRA PIN", max_length=11, blank=True, validators=[KRA_PIN],
                               help_text="As on the supplier's eTIMS invoices: their purchases fetched from KRA "
                                         "are matched to this supplier's bills by it.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["business", "name"]
        constraints = [models.UniqueConstraint(fields=["business", "name"], name="supplier_name_unique_per_business")]

    def __str__(self):
        return self.name

    def clean(self):
        self.kra_pin = (self.kra_pin or "").strip().upper()
        if self.phone:
            try:
                self.phone = normalize_phone(self.phone)
            except ValidationError as error:
                raise ValidationError({"phone": error.messages}) from error

    def save(self, *args, **kwargs):
        self.phone = normalize_phone(self.phone) if self.phone else ""
        super().save(*args, **kwargs)


class PurchaseOrder(models.Model):
    """Draft → (approved) → sent → partly received → received; or cancelled before anything arrives.
    Above services.APPROVAL_THRESHOLD a draft must be approved before it is sent."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        SENT = "sent", "Sent"
        PARTLY_RECEIVED = "partly_received", "Partly received"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="purchase_orders")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("approve_purchaseorder", "Can approve a purchase order above the approval threshold")]

    def __str__(self):
        return f"PO-{self.pk:06d}" if self.pk else "New purchase order"

    def approval_details(self) -> list[tuple[str, str]]:
        """What the approver reads on the phone (approvals' decide page)."""
        lines = [f"{line.quantity.normalize():f} × {line.item.name} @ {line.unit_cost:,}"
                 for line in self.lines.select_related("item")]
        return [("Supplier", self.supplier.name), ("Lines", "; ".join(lines)), ("Order status", self.get_status_display())]

    def clean(self):
        if self.business_id and self.supplier_id and self.supplier.business_id != self.business_id:
            raise ValidationError({"supplier": "This supplier belongs to another business."})

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines.all()), Decimal("0.00"))


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(validators=[MinValueValidator(Decimal("0.001"))], **QUANTITY)
    unit_cost = models.DecimalField("unit cost (KES)", max_digits=12, decimal_places=4,
                                    validators=[MinValueValidator(Decimal("0"))])
    received = models.DecimalField(default=0, **QUANTITY)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="po_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="po_line_cost_not_negative"),
            models.CheckConstraint(condition=Q(received__gte=0) & Q(received__lte=F("quantity")),
                                   name="po_line_received_within_ordered"),
        ]

    def __str__(self):
        return f"{self.quantity.normalize():f} × {self.item}"

    def clean(self):
        order = getattr(self, "order", None)
        if self.item_id and order is not None and order.business_id and self.item.business_id != order.business_id:
            raise ValidationError({"item": "This item belongs to another business."})
        if self.item_id and not self.item.tracks_stock:
            raise ValidationError({"item": f"{self.item} does not track stock: bill it as a standalone supplier bill."})

    @property
    def total(self) -> Decimal:
        return (self.quantity * self.unit_cost).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def outstanding(self) -> Decimal:
        return self.quantity - self.received


class GoodsReceipt(models.Model):
    """Append-only: one delivery against an order; its stock movements point back to it."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="receipts")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    total = models.DecimalField(**MONEY)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"Receipt {self.pk} on {self.purchase_order}"


class SupplierBill(models.Model):
    """Append-only: a supplier's invoice, against an order or standalone (transport, services)."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="bills")
    purchase_order = models.ForeignKey(PurchaseOrder, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="bills")
    reference = models.CharField("supplier's invoice number", max_length=40, blank=True)
    etims_invoice = models.CharField(
        "supplier's eTIMS invoice number", max_length=40, blank=True,
        help_text="As printed on the supplier's eTIMS receipt (CU invoice number, e.g. KRACU0100000001/123). "
                  "Without an eTIMS invoice the expense is not deductible (since 1 January 2024).")
    bill_date = models.DateField(default=timezone.localdate)
    amount = models.DecimalField("amount (KES)", validators=[MinValueValidator(CENT)], **MONEY,
                                 help_text="The bill's total, VAT included.")
    vat = models.DecimalField("VAT (KES)", default=0, validators=[MinValueValidator(0)], **MONEY,
                              help_text="Input VAT on the supplier's tax invoice (0 if the supplier charges none).")
    category = models.ForeignKey("ledger.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 help_text="A standalone bill's expense category (rent, transport, repairs…).")
    journal_entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-bill_date", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="supplier_bill_amount_positive"),
            models.CheckConstraint(condition=Q(vat__gte=0, vat__lt=models.F("amount")), name="supplier_bill_vat_in_range"),
        ]

    def __str__(self):
        return f"Bill {self.reference or self.pk} from {self.supplier}"

    @property
    def net(self):
        """The bill without its VAT: the cost of the goods or service."""
        return self.amount - self.vat


class SupplierPayment(models.Model):
    """Append-only: money paid out to a supplier (M-Pesa is sent by hand, then recorded here)."""

    class Method(models.TextChoices):
        CASH = "cash", "Cash"
        MPESA = "mpesa", "M-Pesa"
        BANK = "bank", "Bank"

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="payments")
    bill = models.ForeignKey(SupplierBill, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=8, choices=Method.choices)
    amount = models.DecimalField("amount (KES)", validators=[MinValueValidator(CENT)], **MONEY)
    reference = models.CharField(max_length=40, blank=True, help_text="M-Pesa code or bank reference.")
    paid_on = models.DateField(default=timezone.localdate)
    journal_entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="+")
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="supplier_payment_amount_positive")]

    def __str__(self):
        return f"{self.get_method_display()} KES {self.amount} to {self.supplier}"


class SupplierPrice(models.Model):
    """What a supplier charges for an item (from an imported price list): the cost a purchase
    order line can start from. Nothing here moves stock or money."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="prices")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="supplier_prices")
    unit_cost = models.DecimalField("unit cost (KES)", max_digits=12, decimal_places=4)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["supplier", "item"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "item"], name="one_price_per_supplier_item"),
            models.CheckConstraint(condition=models.Q(unit_cost__gte=0), name="supplier_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.supplier}: {self.item} at {self.unit_cost}"


class SupplierPriceEvent(history_of(SupplierPrice, exclude=["updated_at"])):
    """Every version of a supplier's price, old → new (modules/core/businesses/history.py)."""

