"""django-import-export resources for the accountant's exports (the desk UX comes with its issue)."""

from import_export import fields, resources

from .models import BottleMovement, DeliveryOrder, ProductionBatch, Recipe


class RecipeResource(resources.ModelResource):
    product = fields.Field(attribute="product__name", column_name="product")

    class Meta:
        model = Recipe
        fields = ("id", "name", "product", "daily_target", "is_active")
        export_order = fields


class ProductionBatchResource(resources.ModelResource):
    recipe = fields.Field(attribute="recipe__name", column_name="recipe")

    class Meta:
        model = ProductionBatch
        fields = ("id", "recipe", "status", "planned_quantity", "quantity_produced", "rejects", "operator",
                  "started_at", "ended_at", "material_cost", "wastage_cost", "unit_cost", "posted_at")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("recipe")


class BottleMovementResource(resources.ModelResource):
    class Meta:
        model = BottleMovement
        fields = ("id", "created_at", "customer_phone", "customer_name", "kind", "bottles", "amount", "method",
                  "paid_at")
        export_order = fields


class DeliveryOrderResource(resources.ModelResource):
    receipt = fields.Field(column_name="receipt")
    total = fields.Field(column_name="total")

    class Meta:
        model = DeliveryOrder
        fields = ("id", "deliver_on", "customer_phone", "customer_name", "area", "address", "driver", "status",
                  "payment_method", "receipt", "total", "failed_reason", "closed_at")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("sale__business").prefetch_related("lines__item")

    def dehydrate_receipt(self, order):
        return order.sale.receipt_number if order.sale_id else ""

    def dehydrate_total(self, order):
        return order.total
