from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from modules.core.businesses.admin_kit import BigTableAdminMixin, BusinessScopedAdminMixin, ReadOnlyAdminMixin
from modules.core.exports.admin_mixins import DeskExportMixin

from . import services
from .models import Invoice, Payment, StkRequest


@admin.register(Invoice)
class InvoiceAdmin(BusinessScopedAdminMixin, ModelAdmin):
    list_display = ["pk", "description", "amount", "business", "paid_at", "mpesa"]
    list_filter = ["business"]
    search_fields = ["description", "customer_phone"]
    fields = ["business", "description", "amount", "customer_phone"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj else []  # issued invoices are in the books: never edited

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        issued = services.issue_invoice(obj.business, description=obj.description, amount=obj.amount,
                                        customer_phone=obj.customer_phone, user=request.user)
        obj.pk = issued.pk

    @admin.display(description="M-Pesa")
    def mpesa(self, obj):
        if obj.paid_at:
            return "Paid"
        return format_html('<a class="text-primary-600 font-semibold" href="{}">Request M-Pesa</a>',
                           reverse("admin:payments:request_mpesa", args=[obj.pk]))


@admin.register(StkRequest)
class StkRequestAdmin(DeskExportMixin, ReadOnlyAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    resource_classes = ["modules.core.payments.resources.StkRequestResource"]
    list_display = ["created_at", "phone", "amount", "status", "mpesa_receipt", "business", "wait"]
    list_filter = ["status", "business"]
    search_fields = ["phone", "mpesa_receipt", "checkout_request_id"]

    @admin.display(description="")
    def wait(self, obj):
        return format_html('<a href="{}">Open</a>', reverse("admin:payments:stk_wait", args=[obj.pk]))


@admin.register(Payment)
class PaymentAdmin(BigTableAdminMixin, DeskExportMixin, ReadOnlyAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    resource_classes = ["modules.core.payments.resources.PaymentResource"]
    phone_cards = True  # a card of two lines on a phone
    list_display = ["received_at", "method", "amount", "applied", "credit", "payer_phone", "mpesa_receipt", "business"]
    list_filter = ["method", "business"]
    search_fields = ["payer_phone", "mpesa_receipt"]
