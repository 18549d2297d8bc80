from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from modules.core.businesses.models import Business
from modules.core.customers.models import Customer
from modules.core.inventory.models import QUANTITY, Item, Location
from modules.core.ledger.models import MONEY

from .tax import Band


class TaxRate(models.Model):
    """A tax band's rate from a day on (KRA changes them by law: 16 % became 14 % for 2020)."""

    band = models.CharField(max_length=1, choices=Band.choices)
    percent = models.DecimalField(max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    effective_from = models.DateField()

    class Meta:
        ordering = ["band", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["band", "effective_from"], name="one_rate_per_band_and_day")]

    def __str__(self):
        return f"{self.get_band_display()}: {self.percent.normalize():f} % from {self.effective_from:%d %b %Y}"


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
    payment_method = models.CharField(max_length=6)  # cash, mpesa, split
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("void_sale", "Can void a sale (stock and money go back)")]
        constraints = [
            models.UniqueConstraint(fields=["business", "number"], name="sale_number_unique_per_business"),
            models.CheckConstraint(condition=Q(total__gte=0, discount__gte=0), name="sale_amounts_not_negative"),
        ]

    def __str__(self):
        return f"Receipt {self.receipt_number}"

    @property
    def receipt_number(self):
        return f"{self.business.code[:1].upper()}-{self.number:06d}"

    # payable interface (modules.core.payments)
    @property
    def payable_total(self):
        return self.total

    @property
    def payable_reference(self):
        return self.receipt_number.replace("-", "")[:12]

    def mark_paid(self, when):
        self.paid_at = when
        self.save(update_fields=["paid_at"])


class SaleLine(models.Model):
    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
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
        return f"{self.quantity} × {self.item}"
