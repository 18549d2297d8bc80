from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline

from modules.core.businesses.admin_kit import BusinessScopedAdminMixin, ServiceAdminMixin, ServiceForm
from modules.core.businesses.services import businesses_for
from modules.core.ledger import chart

from . import services
from .models import ApprovalDecision, ApprovalRequest, ExpenseRequest


def _decide_link(obj):
    request = services.latest(obj) if not isinstance(obj, ApprovalRequest) else obj
    if request is None:
        return "–"
    return format_html('<a class="text-primary-600 font-semibold" href="{}">{} (#{})</a>',
                       reverse("admin:approvals:decide", args=[request.pk]), request.get_status_display(), request.pk)


class ApprovalDocumentAdminMixin:
    """For any module's document that is asked for and then decided (expense and transfer requests):
    made by a service, never edited or deleted here; after adding, the requester lands on the
    decide page of its pending request; an ``approval`` column links to that page."""

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
        opts = obj._meta
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    @admin.display(description="Approval")
    def approval(self, obj):
        return _decide_link(obj)


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
class ExpenseRequestAdmin(ApprovalDocumentAdminMixin, ServiceAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
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
