"""Water admin: phone-first changelists (2-3 fields a row, the main action one tap away).

Every row is the water business's: forms set ``business`` themselves, item and location choices
are the water business's, and BusinessScopedAdminMixin answers 403 to staff of other businesses.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.admin import ModelAdmin, TabularInline

from modules.core.businesses.admin_kit import BusinessScopedAdminMixin, ReadOnlyAdminMixin
from modules.core.businesses.models import Business
from modules.core.customers import services as customers
from modules.core.live.locking import LiveEditingAdminMixin
from modules.core.inventory.models import Item, Location
from modules.core.customers.phones import normalize_phone

from .models import BottleMovement, DeliveryLine, DeliveryOrder, ProductionBatch, Recipe, RecipeLine
from .services import BUSINESS_CODE


def water_business():
    return Business.objects.get(code=BUSINESS_CODE)


class WaterChoicesMixin:
    """Items and locations offered in forms are the water business's only; operators are staff."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        model = db_field.related_model
        if model in (Item, Location):
            kwargs["queryset"] = model.objects.filter(business__code=BUSINESS_CODE)
        elif model is get_user_model():
            kwargs["queryset"] = model.objects.filter(is_active=True, is_staff=True).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class WaterForm(forms.ModelForm):
    """The row belongs to the water business before validation runs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.business_id:
            self.instance.business = water_business()


class RecipeLineInline(WaterChoicesMixin, TabularInline):
    model = RecipeLine
    fields = ["material", "quantity"]
    extra = 1


class CreatedHereOpensItsPageMixin:
    """New rows record who made them, then open their own page (batch, delivery), where the work is
    done; "Save and add another" and "Save and continue" behave as usual."""

    page_url_name = ""

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        if "_addanother" in request.POST or "_continue" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        return redirect(self.page_url_name, obj.pk)


@admin.register(Recipe)
class RecipeAdmin(WaterChoicesMixin, BusinessScopedAdminMixin, ModelAdmin):
    form = WaterForm
    list_display = ["name", "product", "daily_target"]
    list_filter = ["is_active"]
    search_fields = ["name", "product__name"]
    list_select_related = ["product"]
    fields = ["name", "product", "daily_target", "is_active"]
    inlines = [RecipeLineInline]


class BatchForm(WaterForm):
    class Meta:
        model = ProductionBatch
        fields = ["recipe", "planned_quantity", "operator", "location", "note"]

    def clean(self):
        data = super().clean()
        recipe = data.get("recipe")
        if recipe is not None:
            self.instance.business_id = recipe.business_id
        return data


@admin.register(ProductionBatch)
class ProductionBatchAdmin(CreatedHereOpensItsPageMixin, WaterChoicesMixin, BusinessScopedAdminMixin, ModelAdmin):
    """Planned here; started and posted on the batch page (Open)."""

    form = BatchForm
    list_display = ["batch", "status", "made"]
    list_filter = ["status"]
    search_fields = ["=id", "recipe__name", "note"]
    list_select_related = ["recipe__product"]
    fields = ["recipe", "planned_quantity", "operator", "location", "note"]
    readonly_when_done = ["status", "started_at", "ended_at", "quantity_produced", "rejects", "material_cost",
                          "wastage_cost", "unit_cost", "posted_by", "posted_at"]

    def get_fields(self, request, obj=None):
        return self.fields + (self.readonly_when_done if obj else [])

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_when_done if obj else []

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or obj.status == ProductionBatch.Status.PLANNED)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.status == ProductionBatch.Status.PLANNED)

    page_url_name = "admin:water:batch"

    @admin.display(description=gettext_lazy("Batch"), ordering="id")
    def batch(self, obj):
        return format_html('<a class="font-semibold text-primary-600" href="{}" data-batch-link>{}</a>',
                           reverse("admin:water:batch", args=[obj.pk]), obj.title())

    @admin.display(description=gettext_lazy("Made"))
    def made(self, obj):
        if obj.quantity_produced is None:
            return "–"
        rejects = ", " + _("%(qty)s rejected") % {"qty": f"{obj.rejects.normalize():f}"} if obj.rejects else ""
        return f"{obj.quantity_produced.normalize():f}{rejects}"


@admin.register(BottleMovement)
class BottleMovementAdmin(ReadOnlyAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    """The bottle book. Deposits and refunds are taken on the Bottles page."""

    list_display = ["customer", "kind", "amount"]
    list_filter = ["kind", "method"]
    search_fields = ["customer_phone", "customer_name"]
    date_hierarchy = "created_at"

    @admin.display(description=gettext_lazy("Customer"), ordering="customer_phone")
    def customer(self, obj):
        return format_html('<a class="font-semibold text-primary-600" href="{}?phone={}">{}</a>',
                           reverse("admin:water:bottles"), obj.customer_phone, str(obj))


class DeliveryForm(WaterForm):
    class Meta:
        model = DeliveryOrder
        fields = ["customer_phone", "customer_name", "area", "address", "deliver_on", "driver", "note"]

    def clean_customer_phone(self):
        try:
            return normalize_phone(self.cleaned_data["customer_phone"])
        except forms.ValidationError:
            raise forms.ValidationError("Enter a Kenyan phone number, e.g. 0712 345 678.") from None

    def save(self, commit=True):
        """The order belongs to the customer with that number (created on their first order)."""
        order = self.instance
        order.customer = customers.find_or_create(order.customer_phone, name=order.customer_name,
                                                  business=order.business)
        return super().save(commit)


class DeliveryLineInline(WaterChoicesMixin, TabularInline):
    model = DeliveryLine
    fields = ["item", "quantity"]
    extra = 1
    min_num = 1

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or obj.status == DeliveryOrder.Status.PENDING)

    has_add_permission = has_delete_permission = has_change_permission


@admin.register(DeliveryOrder)
class DeliveryOrderAdmin(LiveEditingAdminMixin, CreatedHereOpensItsPageMixin, WaterChoicesMixin,
                         BusinessScopedAdminMixin, ModelAdmin):
    """Entered here; sent out, delivered (paid) or failed on the delivery page (Open)."""

    form = DeliveryForm
    list_display = ["order", "status", "deliver_on"]
    list_filter = ["status", "deliver_on"]
    search_fields = ["customer_phone", "customer_name", "area", "driver"]
    fields = ["customer_phone", "customer_name", "area", "address", "deliver_on", "driver", "note"]
    inlines = [DeliveryLineInline]

    def get_fields(self, request, obj=None):
        extra = ["status", "payment_method", "sale", "failed_reason", "dispatched_at", "closed_at"]
        return self.fields + (extra if obj else [])

    def get_readonly_fields(self, request, obj=None):
        return ["status", "payment_method", "sale", "failed_reason", "dispatched_at", "closed_at"] if obj else []

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or obj.status == DeliveryOrder.Status.PENDING)

    def has_delete_permission(self, request, obj=None):
        return False

    page_url_name = "admin:water:delivery"

    @admin.display(description=gettext_lazy("Delivery"), ordering="id")
    def order(self, obj):
        who = obj.customer_name or obj.customer_phone
        return format_html('<a class="font-semibold text-primary-600" href="{}" data-delivery-link>{} · {}</a>',
                           reverse("admin:water:delivery", args=[obj.pk]), obj.area, who)
