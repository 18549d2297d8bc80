from modules.core.registry.contract import MenuItem, Module, Role, Schedule, Widget

MODULE = Module(
    key="payments",
    label="Payments",
    icon="payments",
    order=55,
    menu=(
        MenuItem("Invoices", "admin:payments_invoice_changelist", "request_quote", "payments.view_invoice"),
        MenuItem("Payments", "admin:payments_payment_changelist", "payments", "payments.view_payment"),
        MenuItem("M-Pesa requests", "admin:payments_stkrequest_changelist", "phone_iphone",
                 "payments.view_stkrequest"),
    ),
    widgets=(
        Widget(key="payments.waiting", title="M-Pesa waiting", callable="modules.core.payments.widgets.waiting",
               template="payments/widget_waiting.html", refresh_seconds=15, permission="payments.view_stkrequest",
               refresh_on="clock"),  # an STK push starts after the sale's commit
    ),
    roles=(Role("Accountant", permissions=("payments.view_*",)),),
    schedules=(Schedule("payments.reconcile_stk", "modules.core.payments.services.reconcile_pending", interval=15),),
    admin_urls="modules.core.payments.views.admin_urlpatterns",
    append_only=("payments.Payment",),
)
