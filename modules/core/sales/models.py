from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse

from modules.core.businesses.models import Business
from modules.core.customers.models import Customer
from modules.core.inventory.models import QUANTITY, Item, Location
from modules.core.ledger.models import MONEY
from modules.core.tax.models import Band



class SaleCounter(models.Model):
    """Receipt numbers run 1, 2, 3… per business with no gaps (the row is locked while numbering)."""

    business = models.OneToOneField(Business, on_delete=models.PROTECT, primary_key=True)
    last_number = models.PositiveIntegerField(default=0)


class Sale(models.Model):
    class Status(models.TextChoices):
        COMPLETED = "completed", "Completed"
        VOIDED = "voided", "Voided"

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="sales")
    number = models.PositiveIntegerField()
    client_uuid = models.UUIDField(unique=True, help_text="Made by the phone: a replay returns this sale.")
    fingerprint = models.CharField(max_length=64, help_text="Hash of what was sold, to spot a reused UUID.")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="sales")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.COMPLETED)
    subtotal = models.DecimalField(help_text="Before discount, VAT included.", **MONEY)
    discount = models.DecimalField(default=0, **MONEY)
    vat = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    payment_method = models.CharField(max_length=6)  # cash, mpesa, split, credit
    kind = models.CharField(max_length=20, default="quick",
                            help_text="What sold it: the quick sale, a laundry job, LPG, a delivery…")
    document_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    document_id = models.CharField(max_length=64, blank=True)
    document = GenericForeignKey("document_type", "document_id")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=120, blank=True)
    void_refund = models.CharField(max_length=6, blank=True,
                                   help_text="How a void gave back what was paid: route, cash or credit.")
    # a business customer's KRA PIN given at the sale (eTIMS custTin; expenses are deductible only with it)
    buyer_pin = models.CharField("buyer's KRA PIN", max_length=11, blank=True)
    buyer_name = models.CharField("buyer's name (from KRA)", max_length=60, blank=True)
    buyer_pin_checked = models.BooleanField("buyer's PIN checked with KRA", default=False)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("void_sale", "Can void a sale (stock and money go back)")]
        constraints = [
            models.UniqueConstraint(fields=["business", "number"], name="sale_number_unique_per_business"),
            models.CheckConstraint(condition=Q(total__gte=0, discount__gte=0), name="sale_amounts_not_negative"),
        ]
        indexes = [
            # what customers still owe (ageing, statements, the credit limit): unpaid sales with a customer
            models.Index(fields=["customer", "created_at"], condition=Q(paid_at__isnull=True, customer__isnull=False),
                         name="sale_open_on_account"),
            models.Index(fields=["document_type", "document_id"], name="sale_document"),
        ]

    def __str__(self):
        return f"Receipt {self.receipt_number}"

    @property
    def receipt_number(self):
        return f"{self.business.code[:1].upper()}-{self.number:06d}"

    @property
    def label(self) -> str:
        """What it was, as the module's document says it ("Laundry ticket LT-0007"), else "Sale"."""
        return (getattr(self.document, "sale_label", "") if self.document_id else "") or "Sale"

    # payable interface (modules.core.payments): a voided sale owes nothing any more
    @property
    def payable_total(self):
        return Decimal("0.00") if self.status == self.Status.VOIDED else self.total

    @property
    def payable_reference(self):
        return self.receipt_number.replace("-", "")[:12]

    @property
    def payable_admin_url(self) -> str:
        """Where the M-Pesa waiting screen's Continue goes: the module's page for its document (a
        laundry job), else the receipt."""
        url = getattr(self.document, "sale_admin_url", None) if self.document_id else None
        return url or reverse("admin:sales:receipt", args=[self.pk])

    def mark_paid(self, when):
        self.paid_at = when
        self.save(update_fields=["paid_at"])


class SaleLine(models.Model):
    """An item sold, or a charge that is not an item (``description``: a brand swap fee), or a
    refundable deposit (``account``: credited to that liability, no VAT, not revenue)."""

    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=120, blank=True)
    account = models.CharField(max_length=10, blank=True, help_text="A deposit's liability account; empty: revenue.")
    quantity = models.DecimalField(**QUANTITY)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    line_total = models.DecimalField(help_text="VAT included, before a whole-sale discount.", **MONEY)
    discount = models.DecimalField(default=0, help_text="This line's share of a whole-sale discount.", **MONEY)
    band = models.CharField("tax band", max_length=1, choices=Band.choices, default=Band.STANDARD)
    vat = models.DecimalField(default=0, help_text="VAT in the line after its discount share.", **MONEY)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=4, default=0)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="sale_line_quantity_positive")]

    def __str__(self):
        return f"{self.quantity} × {self.label}"

    @property
    def label(self) -> str:
        return self.description or (self.item.name if self.item_id else "")

    @property
    def total(self) -> Decimal:
        return self.line_total - self.discount


class CreditRefund(models.Model):
    """A customer's credit with a business given back in money (Dr Customer credit / Cr the till)."""

    class Method(models.TextChoices):
        CASH = "cash", "Cash"
        MPESA = "mpesa", "M-Pesa"
        BANK = "bank", "Bank transfer"

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_refunds")
    amount = models.DecimalField(**MONEY)
    method = models.CharField(max_length=5, choices=Method.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="credit_refund_positive")]

    def __str__(self):
        return f"{self.reference}: KES {self.amount} to {self.customer}"

    @property
    def reference(self) -> str:
        return f"CR-{self.pk:06d}"
