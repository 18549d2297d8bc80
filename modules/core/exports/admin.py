from django.contrib import admin
from unfold.admin import ModelAdmin


from modules.core.businesses.admin_kit import BusinessScopedAdminMixin

from .models import ExportJob, SupplierPrice


@admin.register(ExportJob)
class ExportJobAdmin(ModelAdmin):
    """The audit of every export and import: who, what, when, with which filters. Read-only."""

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


@admin.register(SupplierPrice)
class SupplierPriceAdmin(BusinessScopedAdminMixin, ModelAdmin):
    list_display = ["item", "supplier", "unit_cost"]
    list_filter = ["business", "supplier"]
    search_fields = ["item__name", "item__sku", "supplier__name"]
    list_select_related = ["item", "supplier"]
    readonly_fields = ["business", "supplier", "item", "updated_at"]

    def has_add_permission(self, request):
        return False  # price lists come from imports (admin → Desk → Import)
