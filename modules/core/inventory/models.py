from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from modules.core.businesses.history import history_of
from modules.core.businesses.models import Business
from modules.core.tax.models import Band

QUANTITY = {"max_digits": 12, "decimal_places": 3}


class Item(models.Model):
    """Something a business sells or uses. Prices are KES, VAT-inclusive unless said otherwise."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="items")
    name = models.CharField(max_length=120)
    sku = models.CharField("SKU / barcode", max_length=40)
    unit = models.CharField(max_length=20, default="piece")
    selling_price = models.DecimalField(
        "price (KES)", max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    price_includes_vat = models.BooleanField("price includes VAT", default=True)
    tax_band = models.CharField("VAT class", max_length=1, choices=Band.choices, default=Band.STANDARD,
                                help_text="KRA eTIMS tax band: B standard (16 %), C zero-rated, A exempt, E 8 %, "
                                          "D non-VAT.")
    cost = models.DecimalField("average cost (KES)", max_digits=12, decimal_places=4, default=0,
                               help_text="Moving average of what a unit cost to buy or make.")
    tracks_stock = models.BooleanField(default=True, help_text="Off for services (laundry, refills).")
    allow_negative_stock = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False, help_text="Goes up on every edit in the admin.")

    class Meta:
        ordering = ["business", "name"]
        constraints = [
            models.UniqueConstraint(fields=["business", "sku"], name="item_sku_unique_per_business"),
            models.CheckConstraint(condition=models.Q(selling_price__gte=0), name="item_price_not_negative"),
        ]
        # Prices, costs and stock rules move the books: the owner's (GuardedFieldsAdminMixin). Cylinder
        # types' and swap fees' prices are guarded by it too.
        permissions = [("set_prices", "Can change prices, costs and stock rules")]

    def __str__(self):
        return self.name


class ItemEvent(history_of(Item, exclude=["updated_at", "version"])):
    """Every version of an item: its price, cost and stock rules, old → new (businesses/history.py)."""


class PriceChangeRequest(models.Model):
    """Staff ask for a new price, cost or stock rule of an item (they may not change them: see
    ItemAdmin); approving it applies the change (approvals engine, rule ``inventory.PriceChangeRequest``),
    so the item's history shows the new values under the approver's name. Empty = unchanged."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        DONE = "done", "Approved and applied"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="price_change_requests")
    selling_price = models.DecimalField("new price (KES)", max_digits=12, decimal_places=2, null=True, blank=True,
                                        validators=[MinValueValidator(Decimal("0"))])
    cost = models.DecimalField("new average cost (KES)", max_digits=12, decimal_places=4, null=True, blank=True,
                               validators=[MinValueValidator(Decimal("0"))])
    tracks_stock = models.BooleanField(null=True, blank=True)
    allow_negative_stock = models.BooleanField(null=True, blank=True)
    reason = models.CharField(max_length=120, help_text="Why: a new supplier price, a promotion, a wrong figure …")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    FIELDS = ("selling_price", "cost", "tracks_stock", "allow_negative_stock")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Price change {self.pk}: {self.item.name}"

    def changes(self) -> dict:
        """{field: new value} of what differs from the item now."""
        return {name: getattr(self, name) for name in self.FIELDS
                if getattr(self, name) is not None and getattr(self, name) != getattr(self.item, name)}

    def asked_for(self) -> list[tuple[str, str]]:
        """(label, "now → new") of each value asked for; just the new value once decided."""
        rows = []
        for name in self.FIELDS:
            new = getattr(self, name)
            if new is None:
                continue
            label = str(Item._meta.get_field(name).verbose_name)
            now = f"{_shown(getattr(self.item, name))} → " if self.status == self.Status.PENDING else ""
            rows.append((label[:1].upper() + label[1:], now + _shown(new)))
        return rows

    def approval_details(self) -> list[tuple[str, str]]:
        return [("Item", f"{self.item.name} ({self.item.sku})"), *self.asked_for(), ("Why", self.reason),
                ("Request status", self.get_status_display())]

    def on_approval_closed(self, request):
        status = self.Status.REJECTED if request.status == "rejected" else self.Status.CANCELLED
        PriceChangeRequest.objects.filter(pk=self.pk, status=self.Status.PENDING).update(status=status)


def _shown(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:,.2f}" if value == value.quantize(Decimal("0.01")) else f"{value.normalize():,f}"


class Location(models.Model):
    """Where stock sits: shop floor, store, delivery van."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="locations")
    name = models.CharField(max_length=60)
    is_default = models.BooleanField(default=False, help_text="Where the quick sale takes stock from.")

    class Meta:
        ordering = ["business", "name"]
        constraints = [
            models.UniqueConstraint(fields=["business", "name"], name="location_name_unique_per_business"),
            models.UniqueConstraint(fields=["business"], condition=Q(is_default=True), name="one_default_location"),
        ]

    def __str__(self):
        return f"{self.name} ({self.business})"


class StockLevel(models.Model):
    """Quantity on hand, changed only by services.move_stock() in the movement's transaction."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="stock_levels")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="stock_levels")
    quantity = models.DecimalField(default=0, **QUANTITY)
    reorder_level = models.DecimalField(default=0, **QUANTITY)

    class Meta:
        ordering = ["item__name"]
        constraints = [models.UniqueConstraint(fields=["item", "location"], name="one_level_per_item_location")]

    def __str__(self):
        return f"{self.item} at {self.location.name}: {self.quantity}"

    @property
    def business(self):
        return self.item.business

    def clean(self):
        if self.item_id and self.location_id and self.item.business_id != self.location.business_id:
            raise ValidationError("The item and the location belong to different businesses.")


class StockMovement(models.Model):
    """Append-only: every change of stock, with why and because of what."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        SALE = "sale", "Sale"
        RETURN = "return", "Return"
        ADJUSTMENT = "adjustment", "Adjustment"
        TRANSFER_OUT = "transfer_out", "Transfer out"
        TRANSFER_IN = "transfer_in", "Transfer in"
        CONSUME = "consume", "Production: consumed"
        PRODUCE = "produce", "Production: produced"

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="movements")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    quantity = models.DecimalField(help_text="Positive in, negative out.", **QUANTITY)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=4, default=0)
    reason = models.CharField(max_length=120, blank=True)
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    source_id = models.CharField(max_length=64, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="movement_not_zero")]
        indexes = [models.Index(fields=["source_type", "source_id"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity} {self.item}"

    @property
    def business(self):
        return self.item.business


class LowStockAlert(models.Model):
    """At most one alert per item, location and day (the unique constraint is the throttle)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT)
    location = models.ForeignKey(Location, on_delete=models.PROTECT)
    day = models.DateField()
    quantity = models.DecimalField(**QUANTITY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "location", "day"], name="one_alert_per_day")]


class StockCount(models.Model):
    """A physical count at one location: expected figures are snapshotted when it starts, people
    enter what they counted, and posting (services.post_count) moves stock to the counted figures."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        POSTED = "posted", "Posted"

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="stock_counts")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="stock_counts")
    counted_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    note = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-counted_at"]
        permissions = [("post_stockcount", "Can post a stock count (moves stock and money)")]

    def __str__(self):
        return f"Count {self.pk} at {self.location.name}, {timezone.localtime(self.counted_at):%d %b %Y}"

    def approval_details(self) -> list[tuple[str, str]]:
        """What the approver reads on the phone (approvals' decide page): the variance at cost."""
        from .services import count_variance

        variance = count_variance(self)
        return [("Location", self.location.name), ("Short", f"KES {variance['shortage']:,.2f}"),
                ("Over", f"KES {variance['surplus']:,.2f}"), ("Count status", self.get_status_display())]


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT)
    expected = models.DecimalField(**QUANTITY)
    counted = models.DecimalField(null=True, blank=True, validators=[MinValueValidator(Decimal("0"))],
                                  help_text="Leave empty if not counted: that item is left as it is.", **QUANTITY)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True,
                                    help_text="Average cost when the count was posted.")

    class Meta:
        ordering = ["item__name"]
        constraints = [models.UniqueConstraint(fields=["count", "item"], name="one_line_per_counted_item")]

    def __str__(self):
        return f"{self.item}: expected {self.expected}, counted {self.counted}"

    @property
    def variance(self) -> Decimal | None:
        return None if self.counted is None else self.counted - self.expected


class Transfer(models.Model):
    """Stock moved between two locations of one business (a TRANSFER_OUT and a TRANSFER_IN)."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="transfers")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="transfers")
    from_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="transfers_out")
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="transfers_in")
    quantity = models.DecimalField(validators=[MinValueValidator(Decimal("0.001"))], **QUANTITY)
    note = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transfer_quantity_positive",
                                   violation_error_message="Transfer a quantity above 0."),
            models.CheckConstraint(condition=~Q(from_location=F("to_location")), name="transfer_between_two_locations",
                                   violation_error_message="Pick two different locations."),
        ]

    def __str__(self):
        return f"{self.quantity.normalize():f} {self.item} {self.from_location.name} → {self.to_location.name}"


class TransferRequest(models.Model):
    """A stock transfer waiting for approval (``approvals.py``); approving it runs ``transfer_stock``.
    The ``Transfer`` row means "moved", so what waits lives here until then."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        DONE = "done", "Approved and moved"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="transfer_requests")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    from_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(validators=[MinValueValidator(Decimal("0.001"))], **QUANTITY)
    value = models.DecimalField("value at cost (KES)", max_digits=14, decimal_places=2, default=0)
    note = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    transfer = models.OneToOneField(Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="transfer_request_quantity_positive")]

    def __str__(self):
        return (f"Transfer request {self.pk}: {self.quantity.normalize():f} {self.item.name} "
                f"{self.from_location.name} → {self.to_location.name}")

    def approval_details(self) -> list[tuple[str, str]]:
        """What the approver reads on the phone (approvals' decide page)."""
        return [("Item", self.item.name), ("Quantity", f"{self.quantity.normalize():f} {self.item.unit}"),
                ("From", self.from_location.name), ("To", self.to_location.name),
                ("Value at cost", f"KES {self.value:,.2f}"), ("Transfer status", self.get_status_display())]

    def on_approval_closed(self, request):
        """The request was rejected or cancelled: so is the transfer (nothing moved)."""
        status = self.Status.REJECTED if request.status == request.Status.REJECTED else self.Status.CANCELLED
        TransferRequest.objects.filter(pk=self.pk, status=self.Status.PENDING).update(status=status)
