from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.registry.contract import AccountSpec, ApprovalRule, MenuItem, Module, Role, Widget

CASH_OVER_SHORT = "6900"  # every business's chart gets it (a core module's accounts are shared)

# Staff of every business count their own business's cash at the end of the day.
CASH_DESK = ("reports.view_cashup", "reports.add_cashup")

MODULE = Module(
    key="reports",
    label=_("Reports"),
    icon="monitoring",
    order=58,
    menu=(MenuItem(_("Reports"), "admin:reports:index", "monitoring", "sales.view_sale"),),
    widgets=(
        Widget(key="reports.revenue_trend", title=_("Revenue, last 30 days"),
               callable="modules.core.reports.widgets.revenue_trend", template="reports/widget_trend.html",
               refresh_seconds=300, permission="ledger.view_journalentry", refresh_on="changes"),
    ),
    roles=(Role("Accountant", permissions=("reports.view_*",)),),
    staff_permissions=CASH_DESK,
    accounts=(AccountSpec(CASH_OVER_SHORT, "Cash over and short", "expense"),),
    # Any cash-up difference (from 1 cent) waits for the owner before it reaches the ledger.
    approval_rules=(ApprovalRule("reports.CashUp", threshold="0.01", label=_("Cash-up difference"),
                                 on_approved="modules.core.reports.hooks.post_variance"),),
    admin_urls="modules.core.reports.views.admin_urlpatterns",
)
