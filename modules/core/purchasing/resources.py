"""Export resources of purchasing (see modules/core/exports: the accountant's desk)."""

from modules.core.exports.safety import SafeModelResource, col
from modules.core.exports.specs import ExportSpec

from .models import PurchaseOrder, PurchaseOrderLine, SupplierBill


class PurchaseOrderResource(SafeModelResource):
    business = col("business__code", "business")
    supplier = col("supplier__name", "supplier")

    class Meta:
        model = PurchaseOrder
        fields = ("id", "created_at", "business", "supplier", "status", "note", "approved_at", "sent_at")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("business", "supplier")


class PurchaseOrderLineResource(SafeModelResource):
    order = col("order_id", "order", "int")
    created_at = col("order__created_at", "created_at", "datetime")
    business = col("order__business__code", "business")
    supplier = col("order__supplier__name", "supplier")
    sku = col("item__sku", "sku")
    item = col("item__name", "item")

    class Meta:
        model = PurchaseOrderLine
        fields = ("id", "order", "created_at", "business", "supplier", "sku", "item", "quantity", "unit_cost",
                  "received")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("order__business", "order__supplier", "item")


class SupplierBillResource(SafeModelResource):
    business = col("business__code", "business")
    supplier = col("supplier__name", "supplier")
    purchase_order = col("purchase_order_id", "purchase_order", "int")
    journal_entry = col("journal_entry__number", "journal_entry", "int")

    class Meta:
        model = SupplierBill
        fields = ("id", "bill_date", "business", "supplier", "reference", "purchase_order", "amount", "vat",
                  "journal_entry", "created_at")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("business", "supplier", "journal_entry")


EXPORTS = (
    ExportSpec("purchasing.orders", "Purchase orders", "modules.core.purchasing.resources.PurchaseOrderResource",
               date_field="created_at", order=50),
    ExportSpec("purchasing.order_lines", "Purchase order lines",
               "modules.core.purchasing.resources.PurchaseOrderLineResource", business_path="order__business",
               date_field="order__created_at", order=51),
    ExportSpec("purchasing.bills", "Supplier bills", "modules.core.purchasing.resources.SupplierBillResource",
               date_field="bill_date", order=52),
)
