"""Import/export resources (the accountant's exports)."""

from import_export import fields, resources

from .models import ApprovalRequest, ExpenseRequest


class ApprovalRequestResource(resources.ModelResource):
    business = fields.Field(attribute="business__code", column_name="business")
    document = fields.Field(column_name="document")
    requested_by = fields.Field(attribute="requested_by__username", column_name="requested_by")
    decided_by = fields.Field(attribute="decided_by__username", column_name="decided_by")

    class Meta:
        model = ApprovalRequest
        fields = ["id", "business", "document", "summary", "amount", "reason", "status", "requested_by",
                  "requested_at", "decided_by", "decided_at", "decision_ip", "decision_device", "comment"]
        export_order = fields

    def dehydrate_document(self, obj):
        return f"{obj.document_type.app_label}.{obj.document_type.model}:{obj.document_id}"

    def get_export_queryset(self, request=None):
        return ApprovalRequest.objects.select_related("business", "document_type", "requested_by", "decided_by")


class ExpenseRequestResource(resources.ModelResource):
    business = fields.Field(attribute="business__code", column_name="business")
    category = fields.Field(attribute="category__name", column_name="category")
    requested_by = fields.Field(attribute="requested_by__username", column_name="requested_by")
    journal_entry = fields.Field(attribute="journal_entry__number", column_name="journal_entry")

    class Meta:
        model = ExpenseRequest
        fields = ["id", "business", "amount", "category", "description", "method", "status", "requested_by",
                  "created_at", "paid_at", "journal_entry"]
        export_order = fields

