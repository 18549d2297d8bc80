from django.contrib import admin
from unfold.admin import ModelAdmin

from .models import ExportJob, ExportLogEntry


@admin.register(ExportJob)
class ExportJobAdmin(ModelAdmin):
    """Every export and import and how far it got (the audit trail is ExportLogEntry). Read-only."""

    list_display = ["created_at", "requested_by", "label", "mode"]
    list_filter = ["mode", "status", "kind"]
    search_fields = ["kind", "label", "requested_by__username"]
    date_hierarchy = "created_at"
    list_select_related = ["requested_by"]
    readonly_fields = ["requested_by", "kind", "label", "file_format", "filters", "mode", "status", "rows_done",
                       "rows_total", "created_at", "started_at", "finished_at", "expires_at", "error"]
    exclude = ["file_path", "file_size"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExportLogEntry)
class ExportLogEntryAdmin(ModelAdmin):
    """The export log: append-only (the app's database role may only add to it)."""

    list_display = ["at", "user", "label", "mode", "status"]
    list_filter = ["mode", "kind"]
    search_fields = ["kind", "label", "user__username"]
    list_select_related = ["user", "job"]
    fields = ["at", "user", "kind", "label", "file_format", "filters", "mode", "job"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Status")
    def status(self, obj):
        return obj.job.get_status_display()
