"""Export resources of payments and M-Pesa (see modules/core/exports: the accountant's desk)."""

from modules.core.exports.safety import SafeModelResource, col
from modules.core.exports.specs import ExportSpec

from .models import Payment, StkRequest


class PaymentResource(SafeModelResource):
    business = col("business__code", "business")
    document_type = col("document_type__model", "document_type")
    journal_entry = col("journal_entry__number", "journal_entry", "int")
    received_by = col("received_by__username", "received_by")

    class Meta:
        model = Payment
        fields = ("id", "received_at", "business", "method", "amount", "applied", "credit", "mpesa_receipt",
                  "payer_phone", "document_type", "document_id", "journal_entry", "received_by")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("business", "document_type", "journal_entry", "received_by")


class StkRequestResource(SafeModelResource):
    business = col("business__code", "business")
    document_type = col("document_type__model", "document_type")

    class Meta:
        model = StkRequest
        fields = ("id", "created_at", "business", "phone", "amount", "status", "mpesa_receipt",
                  "checkout_request_id", "result_code", "result_desc", "settled_by", "settled_at", "document_type",
                  "document_id")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("business", "document_type")


EXPORTS = (
    ExportSpec("payments.payments", "Payments received (cash and M-Pesa)",
               "modules.core.payments.resources.PaymentResource", date_field="received_at", order=30),
    ExportSpec("payments.mpesa", "M-Pesa transactions (STK requests and receipt numbers)",
               "modules.core.payments.resources.StkRequestResource", date_field="created_at", order=31),
)
