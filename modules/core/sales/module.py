from modules.core.registry.contract import MenuItem, Module, NotificationKind, Payable, Role, Widget

MODULE = Module(
    key="sales",
    label="Sales",
    icon="point_of_sale",
    order=5,  # the Sell button comes first on the dashboard
    menu=(
        MenuItem("Quick sale", "admin:sales:quick_sale", "point_of_sale", "sales.add_sale"),
        MenuItem("Sales", "admin:sales_sale_changelist", "receipt", "sales.view_sale"),
    ),
    widgets=(
        Widget(key="sales.quick", title="Sell", callable="modules.core.sales.widgets.quick_sale",
               template="sales/widget_quick_sale.html", refresh_seconds=3600, permission="sales.add_sale"),
        Widget(key="sales.today", title="Today", callable="modules.core.sales.widgets.today",
               template="sales/widget_today.html", refresh_seconds=15, permission="ledger.view_journalentry"),
    ),
    roles=(Role("Accountant", permissions=("sales.view_*",)),),
    payables=(Payable("sales.Sale", "Sale", find="modules.core.sales.payables.find_sale",
                      open="modules.core.sales.payables.open_sales"),),
    notification_kinds=(NotificationKind("sales.offline_refused", "Offline sale refused when sent",
                                         default_roles=("Owner",)),),
    admin_urls="modules.core.sales.views.admin_urlpatterns",
    append_only=("sales.SaleLine",),
)
