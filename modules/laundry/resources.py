"""django-import-export resources for the accountant's exports (the desk UX comes with its issue)."""

from import_export import fields, resources

from .models import Job, JobEvent, JobLine


class JobResource(resources.ModelResource):
    business = fields.Field(attribute="business__code", column_name="business")
    ticket = fields.Field(attribute="ticket_number", column_name="ticket")

    class Meta:
        model = Job
        fields = ("id", "business", "ticket", "customer_name", "customer_phone", "status", "express", "promised_at",
                  "total", "vat", "created_at", "ready_at", "collected_at", "cancelled_at", "cancel_reason", "paid_at",
                  "notes")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("business")


class JobLineResource(resources.ModelResource):
    ticket = fields.Field(attribute="job__ticket_number", column_name="ticket")
    item = fields.Field(attribute="item__name", column_name="item")
    sku = fields.Field(attribute="item__sku", column_name="sku")

    class Meta:
        model = JobLine
        fields = ("id", "ticket", "sku", "item", "quantity", "unit_price", "line_total")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("job", "item")


class JobEventResource(resources.ModelResource):
    ticket = fields.Field(attribute="job__ticket_number", column_name="ticket")
    user = fields.Field(attribute="user__username", column_name="user")

    class Meta:
        model = JobEvent
        fields = ("id", "ticket", "at", "kind", "from_status", "to_status", "note", "user")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("job", "user")
