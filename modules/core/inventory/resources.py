"""Export resources of items, stock and transfer requests (see modules/core/exports: the accountant's desk)."""

from modules.core.exports.safety import SafeModelResource, col
from modules.core.exports.specs import ExportSpec

from .models import Item, StockMovement, TransferRequest


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


class TransferRequestResource(SafeModelResource):
    business = col("business__code", "business")
    item = col("item__sku", "item")
    from_location = col("from_location__name", "from_location")
    to_location = col("to_location__name", "to_location")

    class Meta:
        model = TransferRequest
        fields = ("id", "business", "item", "from_location", "to_location", "quantity", "value", "note", "status",
                  "created_at")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("business", "item", "from_location", "to_location")


EXPORTS = (
    ExportSpec("inventory.movements", "Stock movements", "modules.core.inventory.resources.StockMovementResource",
               business_path="item__business", date_field="created_at", order=40),
    ExportSpec("inventory.items", "Items and prices", "modules.core.inventory.resources.ItemResource", order=61),
    ExportSpec("inventory.transfer_requests", "Transfer requests",
               "modules.core.inventory.resources.TransferRequestResource", date_field="created_at", order=500),
)
