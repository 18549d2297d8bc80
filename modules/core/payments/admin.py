import django_rq
from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from redis.exceptions import RedisError
from unfold.admin import ModelAdmin

from modules.core.businesses.admin_kit import BigTableAdminMixin, BusinessScopedAdminMixin, ReadOnlyAdminMixin
from modules.core.exports.admin_mixins import DeskExportMixin

from . import services
from .models import Invoice, MpesaReceipt, MpesaSetting, Payment, StkRequest


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


class MpesaSettingForm(forms.ModelForm):
    passkey = forms.CharField(widget=forms.PasswordInput(render_value=False), required=False,
                              help_text="The Lipa Na M-Pesa Online passkey Safaricom issued. Leave empty to keep it.")

    class Meta:
        model = MpesaSetting
        fields = ["business", "kind", "shortcode", "till_number", "passkey", "reject_unknown_accounts"]

    def clean(self):
        data = super().clean()
        if data.get("kind") == MpesaSetting.Kind.TILL and not data.get("till_number"):
            self.add_error("till_number", "A Buy Goods till needs its till number (and the store number above).")
        if data.get("kind") == MpesaSetting.Kind.PAYBILL and data.get("till_number"):
            self.add_error("till_number", "A paybill has no till number: leave it empty.")
        if not data.get("passkey"):
            if self.instance.pk:
                data["passkey"] = self.instance.passkey
            else:
                self.add_error("passkey", "Enter the passkey Safaricom issued.")
        return data


@admin.register(MpesaSetting)
class MpesaSettingAdmin(BusinessScopedAdminMixin, ModelAdmin):
    """Each business's own paybill or till; pushes use it, C2B payments to it land in its books."""

    form = MpesaSettingForm
    list_display = ["business", "kind", "shortcode", "till_number", "c2b_registration"]
    readonly_fields = ["c2b_registration"]
    actions = ["register_c2b"]

    def save_model(self, request, obj, form, change):
        obj.passkey = form.cleaned_data["passkey"]
        super().save_model(request, obj, form, change)

    @admin.action(description="Register C2B URLs with M-Pesa", permissions=["change"])
    def register_c2b(self, request, queryset):
        """Queued: the worker talks to Daraja; its answer shows in the list."""
        try:
            for setting in queryset:
                django_rq.get_queue("default").enqueue("modules.core.payments.jobs.register_c2b", setting.pk)
        except RedisError:
            self.message_user(request, "The job queue is unavailable; try again in a minute.", messages.ERROR)
            return
        self.message_user(request, "Registration sent to the worker; M-Pesa's answer appears in the list shortly.")


@admin.register(MpesaReceipt)
class MpesaReceiptAdmin(ReadOnlyAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    list_display = ["created_at", "receipt", "amount", "state", "source", "payer_name", "business", "open"]
    list_filter = ["state", "source", "business"]
    search_fields = ["receipt", "phone", "account_reference", "payer_name"]

    @admin.display(description="")
    def open(self, obj):
        return format_html('<a href="{}">Open</a>', reverse("admin:payments:receipt", args=[obj.pk]))
