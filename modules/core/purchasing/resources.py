"""Exports of purchasing and the supplier price list import (see modules/core/exports: the
accountant's desk)."""

from decimal import Decimal

from modules.core.exports.imports import DeskImport, Text, amount, check_places, text
from modules.core.exports.safety import SafeModelResource, col
from modules.core.exports.specs import ExportSpec, ImportSpec
from modules.core.inventory.models import Item

from .models import PurchaseOrder, PurchaseOrderLine, Supplier, SupplierBill, SupplierPrice


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
        fields = ("id", "bill_date", "business", "supplier", "reference", "etims_invoice", "purchase_order", "amount",
                  "vat", "journal_entry", "created_at")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("business", "supplier", "journal_entry")


class SupplierPriceResource(SafeModelResource):
    """The price list as the import takes it (supplier, sku, unit_cost), with the item's name."""

    business = col("business__code", "business")
    supplier = col("supplier__name", "supplier")
    sku = col("item__sku", "sku")
    item = col("item__name", "item")

    class Meta:
        model = SupplierPrice
        fields = ("id", "business", "supplier", "sku", "item", "unit_cost", "updated_at")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("business", "supplier", "item")


class SupplierPriceImport(DeskImport):
    supplier_name = text("supplier_name", "supplier")
    sku = text("sku", "sku")
    unit_cost = amount("unit_cost", "unit_cost", "Write the cost as a number, like 95 or 95.50.")
    columns = ("supplier", "sku", "unit_cost")
    required = ("supplier", "sku", "unit_cost")

    class Meta:
        model = SupplierPrice
        fields = ("supplier_name", "sku", "unit_cost")
        import_id_fields = ("sku",)
        skip_unchanged = True
        report_skipped = True
        skip_diff = False
        clean_model_instances = False

    def get_or_init_instance(self, instance_loader, row):
        errors = {}
        supplier_name, sku = Text().clean(row.get("supplier")), Text().clean(row.get("sku"))
        supplier = item = None
        if not supplier_name:
            errors["supplier_name"] = "Write the supplier's name."
        else:
            supplier = Supplier.objects.filter(business=self.business, name__iexact=supplier_name).first()
            if supplier is None:
                errors["supplier_name"] = (f"There is no supplier called {supplier_name}. "
                                           "Add the supplier first (Purchasing → Suppliers).")
        if not sku:
            errors["sku"] = "Write the item's SKU (its code or barcode)."
        else:
            item = Item.objects.filter(business=self.business, sku=sku).first()
            if item is None:
                errors["sku"] = f"There is no item with SKU {sku} in {self.business}."
        self.raise_if(errors)
        instance = SupplierPrice.objects.filter(supplier=supplier, item=item).first()
        if instance is not None:
            instance.supplier_name, instance.sku = supplier_name, sku
            return instance, False
        new = SupplierPrice(business=self.business, supplier=supplier, item=item)
        new.supplier_name, new.sku = supplier_name, sku
        return new, True

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if "unit_cost" not in errors:
            if instance.unit_cost is None:
                errors["unit_cost"] = "Write the cost, like 95 or 95.50."
            elif instance.unit_cost < 0:
                errors["unit_cost"] = "The cost cannot be below 0."
            elif instance.unit_cost >= Decimal("1e8"):
                errors["unit_cost"] = "This cost is too big."
            else:
                check_places(instance.unit_cost, errors, "unit_cost", decimals=4, what="cost")
        self.raise_if(errors)


EXPORTS = (
    ExportSpec("purchasing.orders", "Purchase orders", "modules.core.purchasing.resources.PurchaseOrderResource",
               date_field="created_at", order=50),
    ExportSpec("purchasing.order_lines", "Purchase order lines",
               "modules.core.purchasing.resources.PurchaseOrderLineResource", business_path="order__business",
               date_field="order__created_at", order=51),
    ExportSpec("purchasing.bills", "Supplier bills", "modules.core.purchasing.resources.SupplierBillResource",
               date_field="bill_date", order=52),
    ExportSpec("purchasing.supplier_prices", "Supplier prices",
               "modules.core.purchasing.resources.SupplierPriceResource", date_field="updated_at", order=53),
)

IMPORTS = (
    ImportSpec("supplier_prices", "Supplier price list", "modules.core.purchasing.resources.SupplierPriceImport",
               help="What each supplier charges for each item (used when ordering).",
               export="purchasing.supplier_prices", order=40),
)
