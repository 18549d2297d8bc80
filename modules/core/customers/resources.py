"""Export of customers (see modules/core/exports: the accountant's desk)."""

from django.db.models import OuterRef, Subquery

from modules.core.exports.safety import SafeModelResource, col
from modules.core.exports.specs import ExportSpec

from .models import Customer, CustomerPhone


class CustomerResource(SafeModelResource):
    phone = col("primary_phone", "phone")
    stream_annotations = {"primary_phone": Subquery(CustomerPhone.objects.filter(customer=OuterRef("pk"))
                                                    .order_by("pk").values("phone")[:1])}

    class Meta:
        model = Customer
        fields = ("id", "name", "phone", "language", "sms_opt_out", "credit_limit", "kra_pin", "created_at")
        export_order = fields


EXPORTS = (
    ExportSpec("customers.customers", "Customers", "modules.core.customers.resources.CustomerResource",
               business_path="businesses", date_field="created_at", order=60),
)
