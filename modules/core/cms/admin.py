from django.contrib import admin
from django.urls import reverse
from unfold.admin import ModelAdmin
from unfold.views import ChangeList

from modules.core.businesses.admin_kit import BusinessScopedAdminMixin

from .models import CustomerRequest


class CustomerRequestChangeList(ChangeList):
    """A row opens the request page with its one-tap action, not a form."""

    def url_for_result(self, result):
        return reverse("admin:cms:request", args=[result.pk])


@admin.register(CustomerRequest)
class CustomerRequestAdmin(BusinessScopedAdminMixin, ModelAdmin):
    """Orders and call-backs from the website, newest first; staff see their business's."""

    list_display = ["who", "kind_label", "status", "created_at"]
    list_filter = ["status", "business"]
    search_fields = ["phone", "name", "place", "details"]
    list_select_related = ["business"]
    actions = None

    @admin.display(description="from")
    def who(self, obj):
        return obj.name or obj.phone

    @admin.display(description="what")
    def kind_label(self, obj):
        return obj.kind_label

    def get_changelist(self, request, **kwargs):
        return CustomerRequestChangeList

    def has_add_permission(self, request):
        return False  # customers send them from the public site

    def has_change_permission(self, request, obj=None):
        return False  # taken or dismissed on the request page

    def has_delete_permission(self, request, obj=None):
        return False
