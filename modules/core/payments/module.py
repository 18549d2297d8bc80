from modules.core.registry.contract import AccountSpec, MenuItem, Module, Payable, Role, Schedule, Widget

from .accounts import MPESA_CHARGES, MPESA_UNALLOCATED

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
        MenuItem("M-Pesa inbox", "admin:payments:inbox", "inbox", "payments.view_mpesareceipt"),
        MenuItem("M-Pesa statements", "admin:payments:statement_import", "upload_file", "payments.add_statement"),
        MenuItem("M-Pesa settings", "admin:payments_mpesasetting_changelist", "settings_phone",
                 "payments.change_mpesasetting"),
    ),
    widgets=(
        Widget(key="payments.waiting", title="M-Pesa waiting", callable="modules.core.payments.widgets.waiting",
               template="payments/widget_waiting.html", refresh_seconds=15, permission="payments.view_stkrequest",
               refresh_on="clock"),  # an STK push starts after the sale's commit
        Widget(key="payments.inbox", title="M-Pesa inbox", callable="modules.core.payments.widgets.inbox",
               template="payments/widget_inbox.html", permission="payments.view_mpesareceipt"),
    ),
    roles=(Role("Accountant", permissions=("payments.view_*",)),),
    schedules=(Schedule("payments.reconcile_stk", "modules.core.payments.services.reconcile_pending", interval=15),),
    accounts=(AccountSpec(MPESA_UNALLOCATED, "Unallocated M-Pesa receipts", "liability"),
              AccountSpec(MPESA_CHARGES, "M-Pesa charges", "expense")),
    payables=(Payable("payments.Invoice", "Invoice", find="modules.core.payments.payables.find_invoice",
                      open="modules.core.payments.payables.open_invoices"),),
    admin_urls="modules.core.payments.admin_urls.urlpatterns",
    append_only=("payments.Payment", "payments.Allocation"),
)
