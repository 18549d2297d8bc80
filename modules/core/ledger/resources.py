"""Export resources of the ledger (see modules/core/exports: the accountant's desk)."""

from modules.core.exports.safety import SafeModelResource, col
from modules.core.exports.specs import ExportSpec

from .models import JournalEntry, JournalLine


class JournalEntryResource(SafeModelResource):
    business = col("business__code", "business")
    source_type = col("source_type__model", "source_type")
    reversal_of = col("reversal_of__number", "reversal_of", "int")
    created_by = col("created_by__username", "created_by")

    class Meta:
        model = JournalEntry
        fields = ("number", "date", "business", "memo", "source_type", "source_id", "reversal_of", "created_by",
                  "posted_at", "seal")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("business", "source_type", "reversal_of", "created_by")


class JournalLineResource(SafeModelResource):
    entry = col("entry__number", "entry", "int")
    date = col("entry__date", "date", "date")
    business = col("business__code", "business")
    account_code = col("account__code", "account_code")
    account_name = col("account__name", "account_name")
    memo = col("entry__memo", "memo")
    source_type = col("entry__source_type__model", "source_type")
    source_id = col("entry__source_id", "source_id")

    class Meta:
        model = JournalLine
        fields = ("id", "entry", "date", "business", "account_code", "account_name", "debit", "credit", "memo",
                  "source_type", "source_id")
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("entry__source_type", "business", "account")


EXPORTS = (
    ExportSpec("ledger.journal_lines", "Journal lines (every debit and credit)",
               "modules.core.ledger.resources.JournalLineResource", date_field="entry__date", background=True,
               order=10),
    ExportSpec("ledger.journal_entries", "Journal entries", "modules.core.ledger.resources.JournalEntryResource",
               date_field="date", background=True, order=11),
)
