"""django-import-export resources for the accountant's exports (the accountant's desk adds the UX)."""

from import_export import fields, resources, widgets

from .models import CylinderType, LpgSale, SwapFee


class CylinderTypeResource(resources.ModelResource):
    business = fields.Field(attribute="business__code", column_name="business")
    size = fields.Field(attribute="get_size_kg_display", column_name="size")
    full_sku = fields.Field(attribute="full_item__sku", column_name="full_sku")
    empty_sku = fields.Field(attribute="empty_item__sku", column_name="empty_sku")
    outright_price = fields.Field(attribute="outright_price", column_name="outright_price",
                                  widget=widgets.DecimalWidget())

    class Meta:
        model = CylinderType
        fields = ("id", "business", "size", "brand", "refill_price", "outright_price", "deposit", "full_sku",
                  "empty_sku", "is_active")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("business", "full_item", "empty_item")


class SwapFeeResource(resources.ModelResource):
    business = fields.Field(attribute="business__code", column_name="business")

    class Meta:
        model = SwapFee
        fields = ("id", "business", "size_kg", "fee")
        export_order = fields


class LpgSaleResource(resources.ModelResource):
    business = fields.Field(attribute="business__code", column_name="business")
    receipt = fields.Field(attribute="receipt_number", column_name="receipt")
    cylinder = fields.Field(attribute="cylinder_type", column_name="cylinder")
    customer_empty = fields.Field(attribute="empty_type", column_name="customer_empty")
    paid_at = fields.Field(attribute="sale__paid_at", column_name="paid_at")

    class Meta:
        model = LpgSale
        fields = ("id", "business", "receipt", "created_at", "kind", "cylinder", "customer_empty", "quantity",
                  "customer_phone", "gas", "swap_fee", "deposit", "refund", "vat", "total", "cost",
                  "payment_method", "paid_at")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("business", "cylinder_type", "empty_type", "sale__business")
