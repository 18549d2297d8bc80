from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline

from modules.core.businesses.admin_kit import (BusinessScopedAdminMixin, ScopedChoicesMixin, ServiceAdminMixin,
                                               ServiceForm)
from modules.core.businesses.services import businesses_for
from modules.core.ledger import chart

from . import services
from .models import ApprovalDecision, ApprovalRequest, ExpenseRequest, TransferRequest


def _decide_link(obj):
    request = services.latest(obj) if not isinstance(obj, ApprovalRequest) else obj
    if request is None:
        return "–"
    return format_html('<a class="text-primary-600 font-semibold" href="{}">{} (#{})</a>',
                       reverse("admin:approvals:decide", args=[request.pk]), request.get_status_display(), request.pk)


class ReadOnlyAfterAddMixin:
    """Documents are made by a service and then only decided: never edited or deleted here."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        mine = list(businesses_for(request.user)[:2])
        if len(mine) == 1:  # staff of one business: nothing to choose
            initial.setdefault("business", mine[0].pk)
        return initial

    def response_add(self, request, obj, post_url_continue=None):
        approval = services.latest(obj)
        if approval is not None and approval.status == ApprovalRequest.Status.PENDING:
            messages.success(request, f"{obj} was sent for approval.")
            return HttpResponseRedirect(reverse("admin:approvals:decide", args=[approval.pk]))
        messages.success(request, f"{obj}: {obj.get_status_display().lower()}.")
        return HttpResponseRedirect(reverse(f"admin:approvals_{obj._meta.model_name}_changelist"))


class ExpenseForm(ServiceForm):
    """The category is picked by name (one list across the user's businesses: a code means the same
    category in each) and resolved to the chosen business's account by the service."""

    category = forms.ChoiceField(label="Category")

    class Meta:
        model = ExpenseRequest
        fields = ["business", "amount", "category", "description", "method"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "Pick a category")] + chart.category_choices(businesses_for(self.user))

    def clean(self):
        data = super().clean()
        code = data.pop("category", None)  # a code until resolved: never assigned to the model as text
        if data.get("business") and code:
            try:
                data["category"] = chart.category_for(data["business"], code)
            except forms.ValidationError as error:
                self.add_error("category", error)
        return data

    def perform(self, data):
        return services.request_expense(data["business"], data["amount"], self.user, description=data["description"],
                                        category=data["category"], method=data["method"])


@admin.register(ExpenseRequest)
class ExpenseRequestAdmin(ReadOnlyAfterAddMixin, ServiceAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    add_form = ExpenseForm
    list_display = ["__str__", "status", "approval"]
    list_filter = ["status", "business", "method"]
    search_fields = ["description"]
    list_select_related = ["business", "requested_by"]
    fields = ["business", "amount", "category", "description", "method", "status", "requested_by", "created_at",
              "paid_at", "journal_entry", "approval"]
    readonly_fields = ["status", "requested_by", "created_at", "paid_at", "journal_entry", "approval"]

    def get_fields(self, request, obj=None):
        return ExpenseForm.Meta.fields if obj is None else self.fields

    @admin.display(description="Approval")
    def approval(self, obj):
        return _decide_link(obj)


class TransferForm(ServiceForm):
    class Meta:
        model = TransferRequest
        fields = ["item", "from_location", "to_location", "quantity", "note"]

    def perform(self, data):
        return services.request_transfer(data["item"], data["from_location"], data["to_location"], data["quantity"],
                                         self.user, note=data["note"])


@admin.register(TransferRequest)
class TransferRequestAdmin(ReadOnlyAfterAddMixin, ServiceAdminMixin, ScopedChoicesMixin, BusinessScopedAdminMixin,
                           ModelAdmin):
    add_form = TransferForm
    list_display = ["__str__", "status", "approval"]
    list_filter = ["status", "business"]
    search_fields = ["item__name", "note"]
    list_select_related = ["business", "item", "from_location", "to_location"]
    fields = ["business", "item", "from_location", "to_location", "quantity", "value", "note", "status",
              "requested_by", "created_at", "transfer", "approval"]
    readonly_fields = ["business", "value", "status", "requested_by", "created_at", "transfer", "approval"]

    def get_fields(self, request, obj=None):
        return TransferForm.Meta.fields if obj is None else self.fields

    @admin.display(description="Approval")
    def approval(self, obj):
        return _decide_link(obj)


class DecisionInline(TabularInline):
    """Every decision on the request, from the append-only trail."""

    model = ApprovalDecision
    fields = ["at", "action", "user", "ip", "device", "comment"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(BusinessScopedAdminMixin, ModelAdmin):
    """The audit trail: who asked, who decided, when, from which IP and device."""

    inlines = [DecisionInline]

    list_display = ["__str__", "amount", "status"]
    list_filter = ["status", "business"]
    search_fields = ["summary", "reason", "comment"]
    list_select_related = ["business"]
    fields = ["business", "summary", "amount", "reason", "status", "decide", "requested_by", "requested_at",
              "needs_second", "first_approved_by", "first_approved_at", "first_ip", "first_device", "decided_by",
              "decided_at", "decision_ip", "decision_device", "comment"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Page")
    def decide(self, obj):
        return _decide_link(obj)
