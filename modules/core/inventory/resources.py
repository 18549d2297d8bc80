"""Exports and imports of items and stock, and the export of transfer requests (see
modules/core/exports: the accountant's desk)."""

from decimal import Decimal

from modules.core.exports.imports import DeskImport, amount, check_places, text
from modules.core.exports.safety import SafeModelResource, col
from modules.core.exports.specs import ExportSpec, ImportSpec

from . import services as inventory
from .models import Item, Location, StockMovement, TransferRequest


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


class ItemImport(DeskImport):
    sku = text("sku", "sku")
    name = text("name", "name")
    price = amount("selling_price", "price", "Write the price as a number, like 150 or 150.50.")
    unit = text("unit", "unit")
    columns = ("sku", "name", "price", "unit")
    required = ("sku", "price")
    aliases = {"selling_price": "price"}  # the items export's header: its file goes back in

    class Meta:
        model = Item
        fields = ("sku", "name", "price", "unit")
        import_id_fields = ("sku",)
        skip_unchanged = True
        report_skipped = True
        skip_diff = False
        clean_model_instances = False

    def get_queryset(self):
        return Item.objects.filter(business=self.business)

    def init_instance(self, row=None):
        return Item(business=self.business, unit="piece")

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if not instance.sku:
            errors["sku"] = "Write the item's SKU (its code or barcode)."
        elif len(instance.sku) > 40:
            errors["sku"] = "The SKU is too long: use at most 40 letters."
        if not instance.name:
            errors["name"] = "Write the item's name."
        elif len(instance.name) > 120:
            errors["name"] = "The name is too long: use at most 120 letters."
        if "selling_price" not in errors:
            if instance.selling_price is None:
                errors["selling_price"] = "Write the price, like 150 or 150.50."
            elif instance.selling_price < 0:
                errors["selling_price"] = "The price cannot be below 0."
            elif instance.selling_price >= Decimal("1e10"):
                errors["selling_price"] = "This price is too big."
            else:
                check_places(instance.selling_price, errors, "selling_price", decimals=2, what="price")
        if "selling_price" not in errors and instance.pk and not (self.user and self.user.has_perm("inventory.set_prices")):
            was = Item.objects.filter(pk=instance.pk).values_list("selling_price", flat=True).first()
            if was is not None and was != instance.selling_price:
                errors["selling_price"] = (f"Only the owner changes prices: {instance.sku} costs {was} now. "
                                           "Import new items only, or ask the owner.")
        if instance.unit and len(instance.unit) > 20:
            errors["unit"] = "The unit is too long: use at most 20 letters (piece, kg, litre…)."
        self.raise_if(errors)


class OpeningStockRow:
    """One line of an opening stock file (not a model: saving it posts movements and money)."""

    pk = None
    sku = location = quantity = None


class OpeningStockImport(DeskImport):
    sku = text("sku", "sku")
    location = text("location", "location")
    quantity = amount("quantity", "quantity", "Write how many, like 24 or 2.5.")
    columns = ("sku", "quantity", "location")
    required = ("sku", "quantity")

    class Meta:
        model = StockMovement
        fields = ("sku", "location", "quantity")
        import_id_fields = ("sku",)
        skip_diff = True
        clean_model_instances = False

    def get_or_init_instance(self, instance_loader, row):
        return OpeningStockRow(), True

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        item = location = None
        if not instance.sku:
            errors["sku"] = "Write the item's SKU (its code or barcode)."
        else:
            item = Item.objects.filter(business=self.business, sku=instance.sku).first()
            if item is None:
                errors["sku"] = (f"There is no item with SKU {instance.sku} in {self.business}. "
                                 "Add it with an 'Items and prices' import first.")
            elif not item.tracks_stock:
                errors["sku"] = f"{item.name} is a service: it has no stock to count."
        if instance.location:
            location = Location.objects.filter(business=self.business, name__iexact=instance.location).first()
            if location is None:
                names = ", ".join(Location.objects.filter(business=self.business).values_list("name", flat=True))
                errors["location"] = f"There is no place called {instance.location}. Places are: {names or 'none yet'}."
        elif item is not None:
            location = inventory.default_location(self.business)
        if "quantity" not in errors:
            if instance.quantity is None:
                errors["quantity"] = "Write how many, like 24."
            elif instance.quantity <= 0:
                errors["quantity"] = "Write a number above 0."
            elif instance.quantity >= Decimal("1e9"):
                errors["quantity"] = "This number is too big."
            else:
                check_places(instance.quantity, errors, "quantity", decimals=3, what="quantity")
        if item is not None and location is not None and "sku" not in errors and StockMovement.objects.filter(
                item=item, location=location, kind=StockMovement.Kind.ADJUSTMENT, reason="Opening stock").exists():
            errors["sku"] = (f"{item.name} already has opening stock at {location.name}. "
                             "Use a stock count to correct it.")
        self.raise_if(errors)
        instance.item, instance.place = item, location

    def save_instance(self, instance, is_create, row, **kwargs):
        # Inside the import's transaction: a dry run is rolled back, a failed import too.
        inventory.receive_opening_stock(instance.item, instance.quantity, instance.place, user=self.user)

    def save_m2m(self, instance, row, **kwargs):
        pass


EXPORTS = (
    ExportSpec("inventory.movements", "Stock movements", "modules.core.inventory.resources.StockMovementResource",
               business_path="item__business", date_field="created_at", order=40),
    ExportSpec("inventory.items", "Items and prices", "modules.core.inventory.resources.ItemResource", order=61),
    ExportSpec("inventory.transfer_requests", "Transfer requests",
               "modules.core.inventory.resources.TransferRequestResource", date_field="created_at", order=500),
)

IMPORTS = (
    ImportSpec("items", "Items and prices", "modules.core.inventory.resources.ItemImport",
               help="Adds new items and updates the name, price and unit of items with the same SKU.",
               export="inventory.items", order=10),
    ImportSpec("opening_stock", "Opening stock", "modules.core.inventory.resources.OpeningStockImport",
               help="Counts stock in on day one: each line adds stock and posts its value "
                    "(Inventory / Owner's equity). An item gets opening stock once per place.", order=20),
)
