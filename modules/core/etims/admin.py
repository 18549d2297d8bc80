from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from modules.core.businesses.admin_kit import BigTableAdminMixin, BusinessScopedAdminMixin, ReadOnlyAdminMixin

from . import services
from .models import Invoice, ItemRegistration, Purchase


class WaitingFilter(admin.SimpleListFilter):
    """Waiting = pending or sent (a number out, the answer unknown): what the dashboard counts."""

    title = "waiting for KRA"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("1", "Waiting for KRA")]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(status__in=[Invoice.Status.PENDING, Invoice.Status.SENT])
        return queryset


@admin.register(Invoice)
class InvoiceAdmin(BigTableAdminMixin, ReadOnlyAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    phone_cards = True
    list_display = ["receipt", "kind", "status", "reference", "total", "created_at", "business"]
    list_filter = [WaitingFilter, "status", "kind", "business"]
    search_fields = ["=number", "=sale__number", "customer_pin"]
    list_select_related = ["business", "sale", "device"]
    readonly_fields = ["business", "sale", "kind", "original", "status", "device", "number", "total", "vat", "bands",
                       "customer_pin", "customer_name", "receipt_number", "total_receipts", "internal_data",
                       "signature", "signed_at", "attempts", "last_error", "created_at", "sent_at", "prints",
                       "stock_sar_no", "stock_reported_at"]
    actions = ["send_again"]

    @admin.display(description="Receipt", ordering="sale__number")
    def receipt(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:sales:receipt", args=[obj.sale_id]),
                           obj.sale.receipt_number)

    @admin.action(description="Send again (refused ones)", permissions=["resend"])
    def send_again(self, request, queryset):
        again = [services.resend(invoice) for invoice in queryset.filter(status=Invoice.Status.FAILED)]
        messages.success(request, f"{len(again)} refused invoice(s) will be sent again with a new number.")

    def has_resend_permission(self, request):
        return request.user.has_perm("etims.resend_invoice")


@admin.register(ItemRegistration)
class ItemRegistrationAdmin(BusinessScopedAdminMixin, ModelAdmin):
    """The owner picks each item's KRA item class; a change is sent again before the item's next sale."""

    business_field = "item__business"
    list_display = ["item", "code", "class_code", "registered_at"]
    search_fields = ["item__name", "code"]
    fields = ["item", "code", "class_code", "registered_at"]
    readonly_fields = ["item", "code", "registered_at"]
    list_select_related = ["item"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["supplier_name", "reference", "sale_date", "total", "bill"]
    list_filter = [("bill", admin.EmptyFieldListFilter)]
    search_fields = ["supplier_name", "supplier_pin", "=supplier_invoice_no"]
    list_select_related = ["bill"]
