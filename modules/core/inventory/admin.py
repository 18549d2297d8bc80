from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action

from modules.core.approvals.admin import ApprovalDocumentAdminMixin
from modules.core.businesses.admin_kit import (BigTableAdminMixin, BusinessScopedAdminMixin, GuardedFieldsAdminMixin,
                                               HistoryAdminMixin, ReadOnlyAdminMixin, ScopedChoicesMixin,
                                               ServiceAdminMixin, ServiceForm)
from modules.core.live.locking import LiveEditingAdminMixin
from modules.core.exports.admin_mixins import DeskExportMixin

from . import approvals, services
from .models import (Item, Location, PriceChangeRequest, StockCount, StockCountLine, StockLevel, StockMovement,
                     Transfer, TransferRequest)


# What the books depend on: the price (revenue, VAT), the average cost (cost of sales, valuation)
# and the stock rules (overselling). Staff may price a new item; changing it is the owner's.
PRICE_FIELDS = ("selling_price", "price_includes_vat", "tax_band")
STOCK_RULES = ("cost", "tracks_stock", "allow_negative_stock")
SET_PRICES = "inventory.set_prices"


@admin.register(Item)
class ItemAdmin(HistoryAdminMixin, GuardedFieldsAdminMixin, LiveEditingAdminMixin, DeskExportMixin,
                BusinessScopedAdminMixin, ModelAdmin):
    guard_permission = SET_PRICES
    guarded_fields = PRICE_FIELDS + STOCK_RULES
    guarded_on_add = STOCK_RULES
    history_events = (("inventory.ItemEvent", "pgh_obj"),)
    resource_classes = ["modules.core.inventory.resources.ItemResource"]
    list_display = ["name", "selling_price", "unit", "business", "is_active"]
    list_filter = ["business", "is_active"]
    search_fields = ["name", "sku"]
    list_select_related = ["business"]
    list_per_page = 50


class PriceChangeForm(ServiceForm):
    class Meta:
        model = PriceChangeRequest
        fields = ["item", "selling_price", "cost", "tracks_stock", "allow_negative_stock", "reason"]

    def perform(self, data):
        changes = {name: data[name] for name in PriceChangeRequest.FIELDS if data.get(name) is not None}
        return services.request_price_change(data["item"], self.user, reason=data["reason"], **changes)


@admin.register(PriceChangeRequest)
class PriceChangeRequestAdmin(ServiceAdminMixin, ScopedChoicesMixin, BusinessScopedAdminMixin, ModelAdmin):
    """Staff ask the owner for a new price, cost or stock rule (``?item=<id>`` picks the item);
    the owner approves on the approvals page and the item changes then."""

    add_form = PriceChangeForm
    list_display = ["created_at", "item", "what", "status", "requested_by"]
    list_filter = ["status", "business"]
    search_fields = ["item__name", "item__sku", "reason"]
    list_select_related = ["item", "business", "requested_by"]
    fields = ["item", "selling_price", "cost", "tracks_stock", "allow_negative_stock", "reason", "status",
              "requested_by"]
    readonly_fields = ["status", "requested_by"]

    def get_fields(self, request, obj=None):
        return self.fields if obj else self.fields[:-2]

    @admin.display(description="Asked for")
    def what(self, obj):
        return "; ".join(f"{label}: {value}" for label, value in obj.asked_for())

    def has_change_permission(self, request, obj=None):
        return False  # decided on the approvals page; ask again for another change

    def has_delete_permission(self, request, obj=None):
        return False

    def response_add(self, request, obj, post_url_continue=None):
        if obj.status == PriceChangeRequest.Status.DONE:
            messages.success(request, f"{obj.item.name}: changed.")
        else:
            messages.success(request, f"{obj}: sent to the owner for approval.")
        return HttpResponseRedirect(reverse("admin:inventory_pricechangerequest_changelist"))


@admin.register(Location)
class LocationAdmin(BusinessScopedAdminMixin, ModelAdmin):
    list_display = ["name", "business", "is_default"]
    list_filter = ["business"]
    search_fields = ["name"]
    list_select_related = ["business"]


@admin.register(StockLevel)
class StockLevelAdmin(ScopedChoicesMixin, BusinessScopedAdminMixin, ModelAdmin):
    """Quantities change only through movements; here only the reorder level is set."""

    business_field = "item__business"
    phone_cards = True  # a card of two lines on a phone
    list_display = ["item", "quantity", "reorder_level", "location"]  # on a phone the figures come first
    list_editable = ["reorder_level"]
    list_filter = ["item__business"]
    search_fields = ["item__name", "item__sku", "location__name"]
    list_select_related = ["item", "location"]
    fields = ["item", "location", "quantity", "reorder_level"]

    def get_readonly_fields(self, request, obj=None):
        return ["item", "location", "quantity"] if obj else ["quantity"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockMovement)
class StockMovementAdmin(BigTableAdminMixin, DeskExportMixin, ReadOnlyAdminMixin, BusinessScopedAdminMixin,
                         ModelAdmin):
    resource_classes = ["modules.core.inventory.resources.StockMovementResource"]
    business_field = "item__business"
    list_display = ["created_at", "kind", "item", "quantity", "location", "unit_cost", "reason", "created_by"]
    list_filter = ["kind", "item__business", "created_at"]  # static date choices: no scan of the table
    search_fields = ["item__name", "item__sku", "reason"]
    list_select_related = ["item__business", "location__business", "created_by"]


# --- physical counts ---------------------------------------------------------------------------

class StartCountForm(ServiceForm):
    class Meta:
        model = StockCount
        fields = ["location", "note"]

    def perform(self, data):
        return services.start_count(data["location"], self.user, note=data["note"])


class StockCountLineInline(TabularInline):
    """Counted figures are entered here while the count is a draft (saved via record_counted)."""

    model = StockCountLine
    fields = ["item", "expected", "counted", "difference", "value"]
    readonly_fields = ["item", "expected", "difference", "value"]
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("inventory.view_stockcount")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("inventory.change_stockcount") and (
            obj is None or obj.status == StockCount.Status.DRAFT)

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Variance")
    def difference(self, line):
        return "" if line.variance is None else f"{line.variance.normalize():+f}"

    @admin.display(description="Value (KES)")
    def value(self, line):
        if not line.variance:
            return ""
        return services.value_at_cost(line.variance, line.item.cost if line.unit_cost is None else line.unit_cost)


@admin.register(StockCount)
class StockCountAdmin(ServiceAdminMixin, ScopedChoicesMixin, BusinessScopedAdminMixin, ModelAdmin):
    add_form = StartCountForm
    list_display = ["__str__", "business", "status", "shortage_surplus", "posted_by", "posted_at"]
    list_filter = ["status", "business"]
    list_select_related = ["business", "location", "posted_by"]
    actions = ["post_counts"]
    actions_submit_line = ["save_and_post"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["location", "note"]
        return ["business", "location", "status", "counted_at", "note", "shortage_surplus", "created_by",
                "posted_by", "posted_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["business", "location", "status", "counted_at", "shortage_surplus", "created_by", "posted_by",
                "posted_at"]

    def get_inlines(self, request, obj):
        return [StockCountLineInline] if obj else []

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.status == StockCount.Status.DRAFT)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.status == StockCount.Status.DRAFT)

    def has_post_permission(self, request, object_id=None):
        if not request.user.has_perm("inventory.post_stockcount"):
            return False
        return object_id is None or self.get_queryset(request).filter(
            pk=object_id, status=StockCount.Status.DRAFT).exists()

    @admin.display(description="Short / over (KES)")
    def shortage_surplus(self, count):
        variance = services.count_variance(count)
        return f"−{variance['shortage']:,} / +{variance['surplus']:,}"

    def response_add(self, request, obj, post_url_continue=None):
        messages.success(request, f"{obj} started: enter what you counted, then Save and post.")
        return HttpResponseRedirect(reverse("admin:inventory_stockcount_change", args=[obj.pk]))

    def save_formset(self, request, form, formset, change):
        if formset.model is not StockCountLine:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # collects the changed lines (and the history message); saved below
        services.record_counted(form.instance, {line.pk: line.counted for line, _ in formset.changed_objects})

    @action(description="Save and post", permissions=["post"])
    def save_and_post(self, request, obj):
        request.post_count_after_save = True  # in save_related, once the counted figures are saved

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if getattr(request, "post_count_after_save", False):
            self._post(request, form.instance)

    @admin.action(description="Post selected counts (moves stock and money)", permissions=["post"])
    def post_counts(self, request, queryset):
        for count in queryset:
            self._post(request, count)

    def _post(self, request, count):
        try:
            entry = services.post_count(count, request.user)
        except ValidationError as error:
            messages.error(request, f"{count}: {' '.join(error.messages)}")
        else:
            messages.success(request, f"{count} posted" + (f": journal entry #{entry.number}." if entry else
                                                           ", no difference to book."))


# --- transfers ---------------------------------------------------------------------------------

class TransferForm(ServiceForm):
    class Meta:
        model = Transfer
        fields = ["item", "from_location", "to_location", "quantity", "note"]

    def perform(self, data):
        return services.transfer_stock(data["item"], data["from_location"], data["to_location"], data["quantity"],
                                       self.user, note=data["note"])


@admin.register(Transfer)
class TransferAdmin(ServiceAdminMixin, ScopedChoicesMixin, BusinessScopedAdminMixin, ModelAdmin):
    add_form = TransferForm
    list_display = ["created_at", "item", "quantity", "from_location", "to_location", "business", "created_by"]
    list_filter = ["business"]
    search_fields = ["item__name", "note"]
    list_select_related = ["item", "from_location", "to_location", "business", "created_by"]
    fields = ["item", "from_location", "to_location", "quantity", "note"]

    def has_change_permission(self, request, obj=None):
        return False  # done is done: move it back with another transfer

    def has_delete_permission(self, request, obj=None):
        return False


class TransferRequestForm(ServiceForm):
    class Meta:
        model = TransferRequest
        fields = ["item", "from_location", "to_location", "quantity", "note"]

    def perform(self, data):
        return approvals.request_transfer(data["item"], data["from_location"], data["to_location"],
                                          data["quantity"], self.user, note=data["note"])


@admin.register(TransferRequest)
class TransferRequestAdmin(ApprovalDocumentAdminMixin, ServiceAdminMixin, ScopedChoicesMixin,
                           BusinessScopedAdminMixin, ModelAdmin):
    """Staff ask to move stock; the owner decides on approvals' page (``approvals.py``)."""

    add_form = TransferRequestForm
    list_display = ["__str__", "status", "approval"]
    list_filter = ["status", "business"]
    search_fields = ["item__name", "note"]
    list_select_related = ["business", "item", "from_location", "to_location"]
    fields = ["business", "item", "from_location", "to_location", "quantity", "value", "note", "status",
              "requested_by", "created_at", "transfer", "approval"]
    readonly_fields = ["business", "value", "status", "requested_by", "created_at", "transfer", "approval"]

    def get_fields(self, request, obj=None):
        return TransferRequestForm.Meta.fields if obj is None else self.fields
