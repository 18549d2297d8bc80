"""Export resources of sales (see modules/core/exports: the accountant's desk)."""

from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat, LPad, Substr, Upper

from modules.core.exports.safety import SafeModelResource, col
from modules.core.exports.specs import ExportSpec

from modules.core.customers.models import CustomerPhone

from .models import Sale, SaleLine


def receipt_number(prefix=""):
    """Sale.receipt_number ("W-000123") as SQL, for the streaming export."""
    return Concat(Upper(Substr(f"{prefix}business__code", 1, 1)), Value("-"),
                  LPad(Cast(f"{prefix}number", CharField()), 6, Value("0")), output_field=CharField())


class SaleResource(SafeModelResource):
    business = col("business__code", "business")
    receipt = col("receipt_number", "receipt")
    customer_phone = col("customer__primary_phone", "customer_phone")
    location = col("location__name", "location")
    created_by = col("created_by__username", "created_by")
    stream_annotations = {"receipt_number": receipt_number(),
                          "customer__primary_phone": Subquery(CustomerPhone.objects.filter(
                              customer=OuterRef("customer_id")).order_by("pk").values("phone")[:1])}

    class Meta:
        model = Sale
        fields = ("id", "business", "receipt", "created_at", "status", "customer_phone", "location", "subtotal",
                  "discount", "vat", "total", "payment_method", "paid_at", "voided_at", "void_reason", "created_by")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("business", "customer", "location", "created_by").prefetch_related("customer__phones")


class SaleLineResource(SafeModelResource):
    receipt = col("sale__receipt_number", "receipt")
    created_at = col("sale__created_at", "created_at", "datetime")
    business = col("sale__business__code", "business")
    status = col("sale__status", "status")
    sku = col("item__sku", "sku")
    item = col("item__name", "item")
    stream_annotations = {"sale__receipt_number": receipt_number("sale__")}

    class Meta:
        model = SaleLine
        fields = ("id", "receipt", "created_at", "business", "status", "sku", "item", "quantity", "unit_price",
                  "line_total", "unit_cost")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("sale__business", "item")


EXPORTS = (
    ExportSpec("sales.sales", "Sales (receipts)", "modules.core.sales.resources.SaleResource",
               date_field="created_at", order=20),
    ExportSpec("sales.sale_lines", "Sale lines (what was sold)", "modules.core.sales.resources.SaleLineResource",
               business_path="sale__business", date_field="sale__created_at", order=21),
)
