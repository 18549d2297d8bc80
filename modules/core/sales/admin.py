from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline

from modules.core.businesses.admin_kit import BigTableAdminMixin, BusinessScopedAdminMixin, ReadOnlyAdminMixin
from modules.core.exports.admin_mixins import DeskExportMixin

from . import services
from .models import CreditRefund, Sale, SaleLine


class SaleLineInline(ReadOnlyAdminMixin, TabularInline):
    model = SaleLine
    fields = ["item", "description", "quantity", "unit_price", "line_total", "band", "vat"]
    readonly_fields = fields
    extra = 0


class PaymentMethodFilter(admin.SimpleListFilter):
    """Fixed choices: the default filter for a plain text field scans the whole table (SELECT DISTINCT)."""

    title = "payment method"
    parameter_name = "payment_method"

    def lookups(self, request, model_admin):
        return [(method, method.capitalize() if method != "mpesa" else "M-Pesa") for method in services.METHODS]

    def queryset(self, request, queryset):
        return queryset.filter(payment_method=self.value()) if self.value() else queryset


@admin.register(Sale)
class SaleAdmin(BigTableAdminMixin, DeskExportMixin, ReadOnlyAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    resource_classes = ["modules.core.sales.resources.SaleResource"]
    phone_cards = True  # a card of two lines on a phone
    list_display = ["receipt", "created_at", "total", "payment_method", "kind", "status", "business"]
    list_filter = ["status", PaymentMethodFilter, "business"]
    search_fields = ["=number", "customer__phones__phone"]
    list_select_related = ["business"]
    inlines = [SaleLineInline]
    actions = ["void"]

    @admin.display(description="Receipt", ordering="number")
    def receipt(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:sales:receipt", args=[obj.pk]), obj.receipt_number)

    @admin.action(description="Void (stock and money go back)", permissions=["void"])
    def void(self, request, queryset):
        for sale in queryset:
            try:
                services.void_sale(sale, reason=f"voided by {request.user}", user=request.user)
            except ValidationError as error:
                messages.error(request, f"{sale}: {' '.join(error.messages)}")
            else:
                messages.success(request, f"{sale} is void.")

    def has_void_permission(self, request):
        return request.user.has_perm("sales.void_sale")


@admin.register(CreditRefund)
class CreditRefundAdmin(ReadOnlyAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    """Customers' credit given back in money: made on the customer's statement page (the owner)."""

    list_display = ["reference", "customer", "amount", "method", "created_at", "business"]
    list_select_related = ["business", "customer"]
    search_fields = ["customer__phones__phone", "customer__name"]
