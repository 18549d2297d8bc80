from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

from modules.core.businesses.models import Business


class Item(models.Model):
    """Something a business sells or uses. Prices are KES, VAT-inclusive unless said otherwise."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="items")
    name = models.CharField(max_length=120)
    sku = models.CharField("SKU / barcode", max_length=40)
    unit = models.CharField(max_length=20, default="piece")
    selling_price = models.DecimalField(
        "price (KES)", max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    price_includes_vat = models.BooleanField("price includes 16% VAT", default=True)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["business", "name"]
        constraints = [
            models.UniqueConstraint(fields=["business", "sku"], name="item_sku_unique_per_business"),
            models.CheckConstraint(condition=models.Q(selling_price__gte=0), name="item_price_not_negative"),
        ]

    def __str__(self):
        return self.name
