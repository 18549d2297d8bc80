from django.contrib import admin
from unfold.admin import ModelAdmin

from modules.core.businesses.scoping import BusinessScopedAdminMixin

from .models import Item


@admin.register(Item)
class ItemAdmin(BusinessScopedAdminMixin, ModelAdmin):
    list_display = ["name", "selling_price", "unit", "business", "is_active"]
    list_filter = ["business", "is_active"]
    search_fields = ["name", "sku"]
    list_select_related = ["business"]
    list_per_page = 50
