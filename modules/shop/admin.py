from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from modules.core.businesses.admin_kit import (BusinessScopedAdminMixin, GuardedFieldsAdminMixin, HistoryAdminMixin,
                                               ReadOnlyAdminMixin)
from modules.core.live.locking import LiveEditingAdminMixin

from . import services
from .models import CylinderType, LpgSale, SwapFee


class CylinderTypeForm(forms.ModelForm):
    outright_price = forms.DecimalField(label="Cylinder + gas price (KES)", min_value=Decimal("0"), decimal_places=2,
                                        help_text="What a customer pays to take the cylinder home for good.")
    shell_cost = forms.DecimalField(label="Cost of an empty cylinder (KES)", min_value=Decimal("0"), required=False,
                                    help_text="Used only for a new type, before any stock moves.")
    full_cost = forms.DecimalField(label="Cost of a full cylinder (KES)", min_value=Decimal("0"), required=False,
                                   help_text="Shell + gas; used only for a new type, before any stock moves.")

    class Meta:
        model = CylinderType
        fields = ["business", "size_kg", "brand", "refill_price", "deposit", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            if "outright_price" in self.fields:  # not for staff (guarded)
                self.fields["outright_price"].initial = self.instance.full_item.selling_price
            del self.fields["shell_cost"], self.fields["full_cost"]


@admin.register(CylinderType)
class CylinderTypeAdmin(HistoryAdminMixin, GuardedFieldsAdminMixin, LiveEditingAdminMixin, BusinessScopedAdminMixin,
                        ModelAdmin):
    """Sizes and brands; their full and empty stock is in the shared inventory. Staff may add a type;
    its prices change only with the owner's permission (the costs are set only by the owner)."""

    form = CylinderTypeForm
    guard_permission = "inventory.set_prices"
    guarded_fields = ("refill_price", "outright_price", "deposit")
    guarded_on_add = ("shell_cost", "full_cost")
    history_events = (("shop.CylinderTypeEvent", "pgh_obj"),)
    list_display = ["name", "stock", "refill_price"]
    list_filter = ["size_kg", "brand", "is_active"]
    search_fields = ["brand"]
    list_select_related = ["full_item", "empty_item", "business"]

    @admin.display(description="Cylinder", ordering="size_kg")
    def name(self, obj):
        return str(obj)

    @admin.display(description="Full / empty")
    def stock(self, obj):
        levels = {row["type"].pk: row for row in services.cylinder_stock(obj.business)}
        row = levels.get(obj.pk)
        if row is None:
            return "–"
        return format_html('<span class="tabular-nums{}">{} / {}</span>', " text-red-700 font-semibold" if row["low"] else "",
                           f"{row['full'].normalize():f}", f"{row['empty'].normalize():f}")

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *(["full_item", "empty_item"] if obj else [])]

    def get_fields(self, request, obj=None):
        fields = ["business", "size_kg", "brand", "refill_price", "outright_price", "deposit", "is_active"]
        return fields + (["full_item", "empty_item"] if obj else ["shell_cost", "full_cost"])

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            super().save_model(request, obj, form, change)  # the version check and bump
            full = obj.full_item
            if "outright_price" in data and full.selling_price != data["outright_price"]:
                full.selling_price = data["outright_price"]
                full.save(update_fields=["selling_price", "updated_at"])
            return
        created = services.create_cylinder_type(
            data["business"], size_kg=data["size_kg"], brand=data["brand"], refill_price=data["refill_price"],
            outright_price=data["outright_price"], deposit=data["deposit"], shell_cost=data.get("shell_cost") or 0,
            full_cost=data.get("full_cost") or 0)
        obj.pk, obj.full_item, obj.empty_item = created.pk, created.full_item, created.empty_item
        obj.save()

    def has_delete_permission(self, request, obj=None):
        return False  # its stock items and receipts keep it; switch it off instead


@admin.register(SwapFee)
class SwapFeeAdmin(HistoryAdminMixin, GuardedFieldsAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    guard_permission = "inventory.set_prices"
    guarded_fields = ("fee",)
    history_events = (("shop.SwapFeeEvent", "pgh_obj"),)
    list_display = ["size_kg", "fee"]
    fields = ["business", "size_kg", "fee"]

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("shop.delete_swapfee") and super().has_delete_permission(request, obj)


@admin.register(LpgSale)
class LpgSaleAdmin(ReadOnlyAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    """LPG receipts: recorded only through the LPG exchange page (stock, ledger and payment together)."""

    list_display = ["receipt", "what", "total"]
    list_filter = ["kind", "payment_method", "cylinder_type__size_kg"]
    search_fields = ["=sale__number", "=number", "customer_phone"]
    list_select_related = ["business", "cylinder_type", "empty_type", "sale"]
    date_hierarchy = "created_at"
    actions = ["void"]

    @admin.display(description="Receipt", ordering="created_at")
    def receipt(self, obj):
        return format_html('<a class="bs-tap inline-flex items-center" href="{}">{}</a>',
                           reverse("admin:shop:lpg_receipt", args=[obj.pk]), obj.receipt_number)

    @admin.display(description="What")
    def what(self, obj):
        text = f"{obj.quantity} × {obj.cylinder_type} · {obj.get_kind_display()}"
        if obj.kind == LpgSale.Kind.SWAP:
            text += f" ({obj.empty_type.brand} empty)"
        return text + (" · VOID" if obj.voided_at else "")

    @admin.action(description="Void (stock and money go back)", permissions=["void"])
    def void(self, request, queryset):
        for sale in queryset:
            try:
                services.void_lpg(sale, reason=f"voided by {request.user}", user=request.user)
            except ValidationError as error:
                messages.error(request, f"{sale}: {' '.join(error.messages)}")
            else:
                messages.success(request, f"{sale} is void.")

    def has_void_permission(self, request):
        return request.user.has_perm("shop.void_lpgsale")
