"""Export resource for cash-ups (formula-safe through the exports app's SafeModelResource)."""

from modules.core.exports.safety import SafeModelResource, col

from .models import CashUp


class CashUpResource(SafeModelResource):
    business = col("business__code", "business")
    day = col("day", "day", "date")
    expected = col("expected", "expected", "money")
    counted = col("counted", "counted", "money")
    counted_by = col("counted_by__username", "counted_by")
    journal_entry = col("journal_entry__number", "journal_entry", "int")

    class Meta:
        model = CashUp
        fields = ["id", "business", "day", "expected", "counted", "status", "note", "counted_by", "counted_at",
                  "journal_entry"]
        export_order = fields

    def get_export_queryset(self, request=None):
        return CashUp.objects.select_related("business", "counted_by", "journal_entry")
