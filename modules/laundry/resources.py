"""django-import-export resources for the accountant's exports, listed on the exports desk
(admin → Books → Exports) through ``EXPORTS``. Text cells are made inert (SafeModelResource):
customers' notes must never run as spreadsheet formulas."""

from import_export import fields

from modules.core.exports.safety import SafeModelResource
from modules.core.exports.specs import ExportSpec

from .models import Job, JobEvent, JobLine

EXPORTS = (
    ExportSpec("laundry.job", "Laundry jobs", "modules.laundry.resources.JobResource", business_path="business",
               date_field="created_at"),
    ExportSpec("laundry.jobline", "Laundry job lines", "modules.laundry.resources.JobLineResource",
               business_path="job__business", date_field="job__created_at"),
    ExportSpec("laundry.jobevent", "Laundry job history", "modules.laundry.resources.JobEventResource",
               business_path="job__business", date_field="at"),
)


class JobResource(SafeModelResource):
    business = fields.Field(attribute="business__code", column_name="business")
    ticket = fields.Field(attribute="ticket_number", column_name="ticket")
    paid_at = fields.Field(attribute="sale__paid_at", column_name="paid_at")

    class Meta:
        model = Job
        fields = ("id", "business", "ticket", "customer_name", "customer_phone", "status", "express", "promised_at",
                  "total", "vat", "created_at", "ready_at", "collected_at", "cancelled_at", "cancel_reason", "paid_at",
                  "notes")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("business", "sale")


class JobLineResource(SafeModelResource):
    ticket = fields.Field(attribute="job__ticket_number", column_name="ticket")
    item = fields.Field(attribute="item__name", column_name="item")
    sku = fields.Field(attribute="item__sku", column_name="sku")

    class Meta:
        model = JobLine
        fields = ("id", "ticket", "sku", "item", "quantity", "unit_price", "line_total")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("job", "item")


class JobEventResource(SafeModelResource):
    ticket = fields.Field(attribute="job__ticket_number", column_name="ticket")
    user = fields.Field(attribute="user__username", column_name="user")

    class Meta:
        model = JobEvent
        fields = ("id", "ticket", "at", "kind", "from_status", "to_status", "note", "user")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("job", "user")
