from django.contrib import admin
from unfold.admin import ModelAdmin, TabularInline

from modules.core.businesses.admin_kit import BigTableAdminMixin, BusinessScopedAdminMixin, ReadOnlyAdminMixin
from modules.core.exports.admin_mixins import DeskExportMixin

from .models import Account, JournalEntry, JournalLine, LockDate, SettingChange


class JournalLineInline(ReadOnlyAdminMixin, TabularInline):
    model = JournalLine
    fields = ["account", "debit", "credit"]
    readonly_fields = fields
    extra = 0


@admin.register(JournalEntry)
class JournalEntryAdmin(BigTableAdminMixin, DeskExportMixin, ReadOnlyAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    resource_classes = ["modules.core.ledger.resources.JournalEntryResource"]  # always a background job
    list_display = ["number", "date", "memo", "business", "reversal_of"]
    list_filter = ["business", "date"]  # static date choices: no scan of the table
    search_fields = ["memo", "=number", "=source_id"]
    list_select_related = ["business", "reversal_of"]
    readonly_fields = ["number", "business", "date", "memo", "source_type", "source_id", "reversal_of",
                       "created_by", "posted_at", "seal", "chain_position"]
    inlines = [JournalLineInline]

    @admin.display(description="chain")
    def chain_position(self, obj):
        link = getattr(obj, "link", None) if obj else None
        return f"link {link.seq}: {link.link}" if link else "not chained yet (the follower links it within seconds)"


@admin.register(Account)
class AccountAdmin(BusinessScopedAdminMixin, ModelAdmin):
    list_display = ["code", "name", "kind", "business", "allow_negative", "is_active"]
    list_filter = ["business", "kind"]
    search_fields = ["code", "name"]
    readonly_fields = ["business", "code", "kind"]

    def has_add_permission(self, request):
        return False  # charts come from the template and the modules' declarations

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LockDate)
class LockDateAdmin(BusinessScopedAdminMixin, ModelAdmin):
    list_display = ["business", "locked_through", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(SettingChange)
class SettingChangeAdmin(ReadOnlyAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    """Who moved a lock date or changed an account, as PostgreSQL recorded it (never edited)."""

    list_display = ["changed_at", "what", "business", "record_id", "summary", "db_role"]
    list_filter = ["what", "business"]
    list_select_related = ["business"]
    readonly_fields = ["changed_at", "what", "business", "record_id", "summary", "db_role", "before", "after"]
    fields = readonly_fields

    @admin.display(description="change")
    def summary(self, obj):
        return obj.summary()
