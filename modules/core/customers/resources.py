"""Export and import of customers (see modules/core/exports: the accountant's desk)."""

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery

from modules.core.businesses.services import businesses_for
from modules.core.exports.imports import DeskImport, Text, text
from modules.core.exports.safety import SafeModelResource, col
from modules.core.exports.specs import ExportSpec, ImportSpec
from .phones import normalize_phone
from modules.core.registry.roles import business_codes_for

from .models import Customer, CustomerPhone


class CustomerResource(SafeModelResource):
    phone = col("primary_phone", "phone")
    stream_annotations = {"primary_phone": Subquery(CustomerPhone.objects.filter(customer=OuterRef("pk"))
                                                    .order_by("pk").values("phone")[:1])}

    class Meta:
        model = Customer
        fields = ("id", "name", "phone", "language", "sms_opt_out", "credit_limit", "kra_pin", "created_at")
        export_order = fields


class CustomerImport(DeskImport):
    """Customers by phone number: a known number's customer gets the name, a new number a new
    customer; either way they deal with the importing business from then on.

    A number whose customer also deals with a business the importer may not see is neither renamed
    nor revealed: the dry run counts it as new, like any unknown number, and the import links that
    customer to the importing business with the name it has."""

    phone = text("phone", "phone")
    name = text("name", "name")
    columns = ("phone", "name")
    required = ("phone",)

    class Meta:
        model = Customer
        fields = ("phone", "name")
        import_id_fields = ("phone",)
        skip_unchanged = True
        report_skipped = True
        skip_diff = False
        clean_model_instances = False

    def before_import_row(self, row, **kwargs):
        raw = row.get("phone")
        if raw not in (None, ""):
            try:
                row["phone"] = normalize_phone(Text().clean(raw) or "")
            except ValidationError:
                pass

    def _known(self, phone):
        found = CustomerPhone.objects.filter(phone=phone).select_related("customer").first()
        return found.customer if found else None

    def _hidden(self, customer) -> bool:
        """Deals with a business the importer may not see."""
        if self.user is None or business_codes_for(self.user) is None:
            return False
        return customer.businesses.exclude(pk__in=businesses_for(self.user)).exists()

    def get_instance(self, instance_loader, row):
        """The customer who has this number (phones live in their own table), unless hidden."""
        customer = self._known(row.get("phone"))
        if customer is None or self._hidden(customer):
            return None
        customer.phone = row.get("phone")
        return customer

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            instance.phone = normalize_phone(instance.phone or "")
        except ValidationError:
            errors["phone"] = ("Write the phone number" if not instance.phone else
                               f"{instance.phone} is not a phone number. Write it like 0712 345 678.")
        if instance.name and len(instance.name) > 80:
            errors["name"] = "The name is too long: use at most 80 letters."
        self.raise_if(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        # Inside the import's transaction: a dry run is rolled back, a failed import too.
        hidden = self._known(instance.phone) if is_create else None
        if hidden is not None:  # another business's customer: linked, never renamed
            instance = hidden
        else:
            super().save_instance(instance, is_create, row, **kwargs)
            if is_create:
                CustomerPhone.objects.create(customer=instance, phone=instance.phone)
        if self.business is not None:
            instance.businesses.add(self.business)


EXPORTS = (
    ExportSpec("customers.customers", "Customers", "modules.core.customers.resources.CustomerResource",
               business_path="businesses", date_field="created_at", order=60),
)

IMPORTS = (
    ImportSpec("customers", "Customers", "modules.core.customers.resources.CustomerImport",
               help="Adds customers by phone number; a known phone gets its name updated.",
               export="customers.customers", order=30),
)
