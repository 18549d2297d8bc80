from modules.core.registry.contract import ApprovalRule, MenuItem, Module, Role, Subscription, Widget

# Staff of every business ask for expenses and stock transfers in their own business.
ASK = ("approvals.view_approvalrequest", "approvals.view_expenserequest", "approvals.add_expenserequest",
       "approvals.view_transferrequest", "approvals.add_transferrequest")

MODULE = Module(
    key="approvals",
    label="Approvals",
    icon="approval",
    order=53,
    menu=(
        MenuItem("Approvals", "admin:approvals:pending", "approval"),
        MenuItem("Expense requests", "admin:approvals_expenserequest_changelist", "request_quote",
                 "approvals.view_expenserequest"),
        MenuItem("Transfer requests", "admin:approvals_transferrequest_changelist", "move_up",
                 "approvals.view_transferrequest"),
        MenuItem("Approval history", "admin:approvals_approvalrequest_changelist", "history",
                 "approvals.view_approvalrequest"),
    ),
    widgets=(
        Widget(key="approvals.pending", title="Approvals", callable="modules.core.approvals.widgets.pending",
               template="approvals/widget_pending.html", refresh_seconds=30,
               permission="approvals.decide_approvalrequest"),
    ),
    roles=(Role("Accountant", permissions=("approvals.view_*",)),),
    staff_permissions=ASK,
    approval_rules=(
        # Every expense is approved by the owner before money leaves a till.
        ApprovalRule("approvals.ExpenseRequest", threshold="0", label="Expense",
                     on_approved="modules.core.approvals.hooks.pay_expense"),
        # Every stock transfer asked for by staff (0 = any value) waits for the owner.
        ApprovalRule("approvals.TransferRequest", threshold="0", label="Stock transfer",
                     on_approved="modules.core.approvals.hooks.execute_transfer"),
    ),
    subscriptions=(
        Subscription("approval.requested", "modules.core.approvals.handlers.on_requested", durable=True),
        Subscription("approval.decided", "modules.core.approvals.handlers.on_decided", durable=True),
    ),
    admin_urls="modules.core.approvals.views.admin_urlpatterns",
    append_only=("approvals.ApprovalDecision",),  # the audit trail of decisions
)
