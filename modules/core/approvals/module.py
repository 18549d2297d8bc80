from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.registry.contract import ApprovalRule, MenuItem, Module, Role, Subscription, Widget

# Staff of every business ask for expenses in their own business (inventory adds transfer requests).
ASK = ("approvals.view_approvalrequest", "approvals.view_expenserequest", "approvals.add_expenserequest")

MODULE = Module(
    key="approvals",
    label=_("Approvals"),
    icon="approval",
    order=53,
    menu=(
        MenuItem(_("Approvals"), "admin:approvals:pending", "approval"),
        MenuItem(_("Expense requests"), "admin:approvals_expenserequest_changelist", "request_quote",
                 "approvals.view_expenserequest"),
        MenuItem(_("Approval history"), "admin:approvals_approvalrequest_changelist", "history",
                 "approvals.view_approvalrequest"),
    ),
    widgets=(
        Widget(key="approvals.pending", title=_("Approvals"), callable="modules.core.approvals.widgets.pending",
               template="approvals/widget_pending.html", refresh_seconds=30,
               permission="approvals.decide_approvalrequest"),
    ),
    roles=(Role("Accountant", permissions=("approvals.view_*",)),),
    staff_permissions=ASK,
    approval_rules=(
        # Every expense is approved by the owner before money leaves a till.
        ApprovalRule("approvals.ExpenseRequest", threshold="0", label=_("Expense"), ask=_("Ask for an expense"),
                     on_approved="modules.core.approvals.hooks.pay_expense"),
    ),
    subscriptions=(
        Subscription("approval.requested", "modules.core.approvals.handlers.on_requested", durable=True),
        Subscription("approval.decided", "modules.core.approvals.handlers.on_decided", durable=True),
    ),
    admin_urls="modules.core.approvals.views.admin_urlpatterns",
    append_only=("approvals.ApprovalDecision",),  # the audit trail of decisions
)
