from django.contrib import admin
from django.shortcuts import redirect
from unfold.admin import ModelAdmin

from modules.core.businesses.admin_kit import BusinessScopedAdminMixin, ReadOnlyAdminMixin

from .models import Journal, Movement


def _to_page(page, changelist, object_id):
    """A document's phone page (with its entries and actions) instead of the admin's form."""
    return redirect(page, object_id) if str(object_id).isdigit() else redirect(changelist)


@admin.register(Movement)
class MovementAdmin(ReadOnlyAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    list_display = ["day", "kind", "amount", "business", "status", "created_by"]
    list_filter = ["kind", "status", "business"]
    search_fields = ["reference", "note"]
    list_select_related = ["business", "created_by"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return _to_page("admin:money:movement", "admin:money_movement_changelist", object_id)


@admin.register(Journal)
class JournalAdmin(ReadOnlyAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    list_display = ["day", "memo", "total", "business", "status", "created_by"]
    list_filter = ["status", "business"]
    search_fields = ["memo"]
    list_select_related = ["business", "created_by"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return _to_page("admin:money:journal_detail", "admin:money_journal_changelist", object_id)
