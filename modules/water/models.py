"""Water: recipes (bills of materials), production batches, returnable bottles and deliveries.

Every row belongs to one business (``business``) so BusinessScopedAdminMixin can scope it. Stock and
money only change through services.py (inventory.move_stock, ledger.post, sales and payments).
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from modules.core.businesses.models import Business
from modules.core.customers.models import Customer
from modules.core.inventory.models import QUANTITY, Item, Location
from modules.core.ledger.models import MONEY


class Recipe(models.Model):
    """How one unit of a finished product is made: its lines are the raw materials per unit."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+",
                                help_text="The finished product one batch of this recipe makes.")
    name = models.CharField(max_length=80)
    daily_target = models.PositiveIntegerField(default=0, help_text="Units to make per day (dashboard target).")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["business", "name"], name="water_recipe_name_unique")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.product_id and self.business_id and self.product.business_id != self.business_id:
            raise ValidationError({"product": "Pick a product of this business."})


class RecipeLine(models.Model):
    recipe = models.ForeignKey(Recipe, on_delete=models.CASCADE, related_name="lines")
    material = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(help_text="Used per ONE unit of the finished product.", **QUANTITY)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["recipe", "material"], name="water_recipe_material_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="water_recipe_line_positive"),
        ]

    def __str__(self):
        return f"{self.quantity.normalize():f} {self.material.unit} {self.material}"

    def clean(self):
        if self.material_id and self.recipe_id and self.material.business_id != self.recipe.business_id:
            raise ValidationError({"material": "Pick a material of this business."})


class ProductionBatch(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        RUNNING = "running", _("Running")
        POSTED = "posted", _("Posted")

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    recipe = models.ForeignKey(Recipe, on_delete=models.PROTECT, related_name="batches")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                                 help_text="Where materials are taken from and goods go; empty: the default.")
    planned_quantity = models.DecimalField(**QUANTITY)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PLANNED, db_index=True)
    operator = models.CharField(max_length=60, blank=True, help_text="Who runs the line (empty: whoever starts it).")
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    quantity_produced = models.DecimalField(null=True, blank=True, help_text="Good units.", **QUANTITY)
    rejects = models.DecimalField(default=0, help_text="Units spoilt (wastage).", **QUANTITY)
    material_cost = models.DecimalField(null=True, blank=True, help_text="All materials consumed, KES.", **MONEY)
    wastage_cost = models.DecimalField(null=True, blank=True, help_text="Materials lost in rejects, KES.", **MONEY)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    note = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "production batches"
        permissions = [("post_productionbatch", "Can post a production batch (moves stock)")]
        constraints = [
            models.CheckConstraint(condition=Q(planned_quantity__gt=0), name="water_batch_planned_positive"),
            models.CheckConstraint(condition=Q(rejects__gte=0), name="water_batch_rejects_not_negative"),
            models.CheckConstraint(condition=Q(quantity_produced__isnull=True) | Q(quantity_produced__gte=0),
                                   name="water_batch_produced_not_negative"),
        ]

    def __str__(self):
        return f"Batch {self.pk}: {self.planned_quantity.normalize():f} × {self.recipe.product}"

    def title(self) -> str:
        """str(self) in the reader's language (its page, the list)."""
        return gettext("Batch %(pk)s: %(qty)s × %(product)s") % {
            "pk": self.pk, "qty": f"{self.planned_quantity.normalize():f}", "product": self.recipe.product}


class BottleMovement(models.Model):
    """Returnable 20 L bottles lent to a customer (deposit taken) or brought back (deposit refunded).

    A deposit is a payable document (payments core): creating it puts the amount in Receivables
    against the Bottle deposits liability; the cash or M-Pesa payment settles Receivables."""

    class Kind(models.TextChoices):
        ISSUE = "issue", _("Bottles out (deposit taken)")
        RETURN = "return", _("Bottles returned (deposit refunded)")

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    customer_phone = models.CharField(max_length=12, db_index=True, help_text="2547XXXXXXXX: the number given.")
    customer_name = models.CharField(max_length=80, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    bottles = models.PositiveIntegerField()
    amount = models.DecimalField(help_text="Deposit taken or refunded, KES.", **MONEY)
    method = models.CharField(max_length=5, default="cash")  # cash, mpesa
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(bottles__gt=0, amount__gte=0), name="water_bottles_positive")]

    def __str__(self):
        sign = "out" if self.kind == self.Kind.ISSUE else "back"
        return f"{self.bottles} bottle{'s' if self.bottles != 1 else ''} {sign}: {self.customer_phone}"

    # payable interface (modules.core.payments)
    @property
    def payable_total(self) -> Decimal:
        return self.amount

    @property
    def payable_reference(self) -> str:
        return f"DEP{self.pk}"

    def mark_paid(self, when):
        self.paid_at = when
        self.save(update_fields=["paid_at"])


class DeliveryOrder(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        OUT = "out", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    client_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False,
                                   help_text="The sale made on delivery uses it: delivering twice sells once.")
    customer_name = models.CharField(max_length=80, blank=True)
    customer_phone = models.CharField(max_length=12, help_text="07XX XXX XXX")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", editable=False)
    area = models.CharField(max_length=60, help_text="Estate or area, for the driver's route.")
    address = models.CharField(max_length=200, blank=True, help_text="House, gate, landmark.")
    deliver_on = models.DateField(default=timezone.localdate)
    driver = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    payment_method = models.CharField(max_length=6, blank=True)  # cash, mpesa, credit once delivered
    sale = models.OneToOneField("sales.Sale", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    failed_reason = models.CharField(max_length=120, blank=True)
    note = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    version = models.PositiveIntegerField(default=1, editable=False, help_text="Goes up on every edit in the admin.")
    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Delivery {self.pk}: {self.area}"

    def title(self) -> str:
        """str(self) in the reader's language (its page)."""
        return gettext("Delivery %(pk)s: %(area)s") % {"pk": self.pk, "area": self.area}

    @property
    def total(self) -> Decimal:
        total = sum((line.quantity * line.item.selling_price for line in self.lines.all()), Decimal("0"))
        return total.quantize(Decimal("0.01"))

    @property
    def sale_label(self) -> str:
        return f"Delivery to {self.area}"

    @property
    def sale_admin_url(self) -> str:
        """The sale engine's glue: M-Pesa's Continue comes back to the delivery page."""
        return reverse("admin:water:delivery", args=[self.pk])


class DeliveryLine(models.Model):
    order = models.ForeignKey(DeliveryOrder, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="water_delivery_line_positive")]

    def __str__(self):
        return f"{self.quantity.normalize():f} × {self.item}"
