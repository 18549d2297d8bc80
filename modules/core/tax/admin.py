from django.contrib import admin
from unfold.admin import ModelAdmin

from .models import TaxRate


@admin.register(TaxRate)
class TaxRateAdmin(ModelAdmin):
    """VAT rates by date, per tax band: when the law changes, add the new rate from its first day
    (sales keep the VAT they were rung up with)."""

    list_display = ["band", "percent", "effective_from"]
    list_filter = ["band"]

    def has_delete_permission(self, request, obj=None):
        return False  # a past rate explains past sales
