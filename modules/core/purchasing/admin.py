from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline

from modules.core.businesses.admin_kit import (BusinessScopedAdminMixin, HistoryAdminMixin, ReadOnlyAdminMixin,
                                               ScopedChoicesMixin, ServiceAdminMixin, ServiceForm)
from modules.core.businesses.services import businesses_for
from modules.core.exports.admin_mixins import DeskExportMixin
from modules.core.ledger import chart

from . import services
from .models import GoodsReceipt, PurchaseOrder, PurchaseOrderLine, Supplier, SupplierBill, SupplierPayment, SupplierPrice

Status = PurchaseOrder.Status


@admin.register(Supplier)
class SupplierAdmin(BusinessScopedAdminMixin, ModelAdmin):
    list_display = ["name", "phone", "business", "owed", "is_active"]
    list_filter = ["business", "is_active"]
    search_fields = ["name", "phone", "kra_pin"]
    list_select_related = ["business"]
    fields = ["business", "name", "phone", "kra_pin", "is_active"]

    @admin.display(description="We owe (KES)")
    def owed(self, supplier):
        return f"{services.supplier_balance(supplier):,}"


class PurchaseOrderLineInline(ScopedChoicesMixin, TabularInline):
    model = PurchaseOrderLine
    fields = ["item", "quantity", "unit_cost", "received"]
    readonly_fields = ["received"]
    extra = 1


class GoodsReceiptInline(ReadOnlyAdminMixin, TabularInline):
    model = GoodsReceipt
    fields = ["received_at", "location", "total", "received_by"]
    readonly_fields = fields
    extra = 0


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(DeskExportMixin, ScopedChoicesMixin, BusinessScopedAdminMixin, ModelAdmin):
    resource_classes = ["modules.core.purchasing.resources.PurchaseOrderResource"]
    """Lines are edited while the order is a draft; then approve, send and receive it."""

    list_display = ["__str__", "supplier", "business", "status", "order_total", "created_at", "receive_link"]
    list_filter = ["status", "business"]
    search_fields = ["supplier__name", "note"]
    list_select_related = ["supplier", "business"]
    fields = ["business", "supplier", "note", "status", "order_total", "approved_by", "approved_at", "sent_at"]
    readonly_fields = ["status", "order_total", "approved_by", "approved_at", "sent_at"]
    inlines = [PurchaseOrderLineInline, GoodsReceiptInline]
    actions = ["approve_orders", "send_orders", "cancel_orders"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.status == Status.DRAFT)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.status == Status.DRAFT)

    def has_approve_permission(self, request):
        return request.user.has_perm("purchasing.approve_purchaseorder")

    def has_send_permission(self, request):
        return request.user.has_perm("purchasing.change_purchaseorder")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="Total (KES)")
    def order_total(self, po):
        return f"{po.total:,}" if po.pk else "–"

    @admin.display(description="")
    def receive_link(self, po):
        if po.status not in (Status.SENT, Status.PARTLY_RECEIVED):
            return ""
        return format_html('<a class="text-primary-600 font-semibold" href="{}">Receive</a>',
                           reverse("admin:purchasing:receive", args=[po.pk]))

    def _each(self, request, queryset, step, done):
        for po in queryset:
            try:
                step(po, request.user)
            except PermissionDenied as error:
                messages.error(request, f"{po}: {error}")
            except ValidationError as error:
                messages.error(request, f"{po}: {' '.join(error.messages)}")
            else:
                messages.success(request, f"{po} {done}.")

    @admin.action(description="Approve selected orders", permissions=["approve"])
    def approve_orders(self, request, queryset):
        self._each(request, queryset, services.approve, "approved")

    @admin.action(description="Mark selected orders as sent to the supplier", permissions=["send"])
    def send_orders(self, request, queryset):
        self._each(request, queryset, services.send, "sent")

    @admin.action(description="Cancel selected orders", permissions=["send"])
    def cancel_orders(self, request, queryset):
        self._each(request, queryset, services.cancel, "cancelled")


class BillForm(ServiceForm):
    """A standalone bill (no order) picks its expense category, by name across the user's
    businesses; the supplier's business decides which account that is."""

    category = forms.ChoiceField(label="Category", required=False,
                                 help_text="What a bill without an order is for (rent, transport, repairs…).")

    class Meta:
        model = SupplierBill
        fields = ["supplier", "purchase_order", "reference", "etims_invoice", "bill_date", "amount", "vat",
                  "category"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—")] + chart.category_choices(businesses_for(self.user))

    def clean(self):
        data = super().clean()
        supplier, code = data.get("supplier"), data.pop("category", None)  # a code, never assigned as text
        if data.get("purchase_order"):
            data["category"] = None
        elif supplier is not None:
            if not code:
                self.add_error("category", "A bill without an order needs its category.")
            else:
                try:
                    data["category"] = chart.category_for(supplier.business, code)
                except forms.ValidationError as error:
                    self.add_error("category", error)
        return data

    def perform(self, data):
        return services.record_bill(data["supplier"], data["amount"], vat=data["vat"], reference=data["reference"],
                                    purchase_order=data["purchase_order"], bill_date=data["bill_date"],
                                    category=data.get("category"), user=self.user,
                                    etims_invoice=data.get("etims_invoice") or "")


@admin.register(SupplierBill)
class SupplierBillAdmin(DeskExportMixin, ServiceAdminMixin, ScopedChoicesMixin, BusinessScopedAdminMixin, ModelAdmin):
    resource_classes = ["modules.core.purchasing.resources.SupplierBillResource"]
    add_form = BillForm
    list_display = ["bill_date", "supplier", "reference", "etims_invoice", "purchase_order", "amount", "vat",
                    "left_to_pay", "business"]
    list_filter = ["business"]
    search_fields = ["supplier__name", "reference", "etims_invoice"]
    list_select_related = ["supplier", "purchase_order", "business"]
    fields = ["supplier", "purchase_order", "reference", "etims_invoice", "bill_date", "amount", "vat", "category"]

    def has_change_permission(self, request, obj=None):
        return False  # in the books: never edited

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Left to pay (KES)")
    def left_to_pay(self, bill):
        return f"{services.bill_outstanding(bill):,}"


class PaymentForm(ServiceForm):
    class Meta:
        model = SupplierPayment
        fields = ["supplier", "bill", "method", "amount", "reference"]

    def perform(self, data):
        return services.pay_supplier(data["supplier"], data["amount"], data["method"], bill=data["bill"],
                                     reference=data["reference"], user=self.user)


@admin.register(SupplierPayment)
class SupplierPaymentAdmin(ServiceAdminMixin, ScopedChoicesMixin, BusinessScopedAdminMixin, ModelAdmin):
    add_form = PaymentForm
    list_display = ["paid_on", "supplier", "method", "amount", "reference", "bill", "business"]
    list_filter = ["method", "business"]
    search_fields = ["supplier__name", "reference"]
    list_select_related = ["supplier", "bill", "business"]
    fields = ["supplier", "bill", "method", "amount", "reference"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SupplierPrice)
class SupplierPriceAdmin(HistoryAdminMixin, DeskExportMixin, BusinessScopedAdminMixin, ModelAdmin):
    """Price lists come from imports (admin → Desk → Import a spreadsheet); read here, exported
    in the same columns so the file can go back in. Each price's history page shows old → new."""

    history_events = (("purchasing.SupplierPriceEvent", "pgh_obj"),)
    resource_classes = ["modules.core.purchasing.resources.SupplierPriceResource"]
    list_display = ["item", "supplier", "unit_cost", "updated_at"]
    list_filter = ["business", "supplier"]
    search_fields = ["item__name", "item__sku", "supplier__name"]
    list_select_related = ["item", "supplier"]
    readonly_fields = ["business", "supplier", "item", "updated_at"]

    def has_add_permission(self, request):
        return False
