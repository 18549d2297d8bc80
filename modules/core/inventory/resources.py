"""Export resources of items and stock (see modules/core/exports: the accountant's desk)."""

from modules.core.exports.safety import SafeModelResource, col
from modules.core.exports.specs import ExportSpec

from .models import Item, StockMovement


class ItemResource(SafeModelResource):
    business = col("business__code", "business")

    class Meta:
        model = Item
        fields = ("id", "business", "sku", "name", "unit", "selling_price", "price_includes_vat", "tax_band", "cost",
                  "tracks_stock", "is_active")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("business")


class StockMovementResource(SafeModelResource):
    business = col("item__business__code", "business")
    sku = col("item__sku", "sku")
    item = col("item__name", "item")
    location = col("location__name", "location")
    source_type = col("source_type__model", "source_type")
    created_by = col("created_by__username", "created_by")

    class Meta:
        model = StockMovement
        fields = ("id", "created_at", "business", "sku", "item", "location", "kind", "quantity", "unit_cost",
                  "reason", "source_type", "source_id", "created_by")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("item__business", "location", "source_type", "created_by")


EXPORTS = (
    ExportSpec("inventory.movements", "Stock movements", "modules.core.inventory.resources.StockMovementResource",
               business_path="item__business", date_field="created_at", order=40),
    ExportSpec("inventory.items", "Items and prices", "modules.core.inventory.resources.ItemResource", order=61),
)
