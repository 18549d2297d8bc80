from axes.admin import AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from unfold.admin import ModelAdmin

from .models import BackupRun, FailedJob, SecurityEvent


class AppendOnlyAdminMixin:
    """For the audit trails the app's database role may only add to (Module.append_only):
    nothing is changed or deleted from the admin either."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FailedJob)
class FailedJobAdmin(ModelAdmin):
    list_display = ["failed_at", "func_name", "exc_type", "queue"]
    list_filter = ["queue", "exc_type"]
    search_fields = ["job_id", "func_name", "exc_message"]
    readonly_fields = [f.name for f in FailedJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(AppendOnlyAdminMixin, ModelAdmin):
    list_display = ["created_at", "kind", "message", "ip_address", "count"]
    list_filter = ["kind"]
    readonly_fields = ["created_at", "minute", "count", "kind", "message", "ip_address", "detail"]


@admin.register(BackupRun)
class BackupRunAdmin(ModelAdmin):
    list_display = ["finished_at", "stamp", "ok", "offsite_ok", "db_bytes", "media_bytes"]
    list_filter = ["ok", "offsite_ok"]
    readonly_fields = [f.name for f in BackupRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


if settings.AXES_ENABLE_ADMIN:
    admin.site.unregister(AccessLog)
    admin.site.unregister(AccessFailureLog)

    @admin.register(AccessLog)
    class AppendOnlyAccessLogAdmin(AppendOnlyAdminMixin, AccessLogAdmin):
        pass

    @admin.register(AccessFailureLog)
    class AppendOnlyAccessFailureLogAdmin(AppendOnlyAdminMixin, AccessFailureLogAdmin):
        pass
