from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.registry.contract import (AccountSpec, HealthCondition, MenuItem, Module, NotificationKind, Payable,
                                            Role, Schedule, Subscription, Widget)

from .accounts import MPESA_CHARGES, MPESA_UNALLOCATED
from .kinds import MPESA_PAID_LATE, MPESA_SETUP_ERROR, PAYMENT_FAILED, PAYMENT_RECEIVED
from .kinds import MPESA_UNALLOCATED as INBOX_WAITING

MODULE = Module(
    key="payments",
    label=_("Payments"),
    icon="payments",
    order=55,
    menu=(
        MenuItem(_("Invoices"), "admin:payments_invoice_changelist", "request_quote", "payments.view_invoice"),
        MenuItem(_("Payments"), "admin:payments_payment_changelist", "payments", "payments.view_payment"),
        MenuItem(_("M-Pesa requests"), "admin:payments_stkrequest_changelist", "phone_iphone",
                 "payments.view_stkrequest"),
        MenuItem(_("M-Pesa inbox"), "admin:payments:inbox", "inbox", "payments.view_mpesareceipt"),
        MenuItem(_("M-Pesa statements"), "admin:payments:statement_import", "upload_file", "payments.add_statement"),
        MenuItem(_("M-Pesa settings"), "admin:payments_mpesasetting_changelist", "settings_phone",
                 "payments.change_mpesasetting"),
    ),
    widgets=(
        Widget(key="payments.waiting", title=_("M-Pesa waiting"), callable="modules.core.payments.widgets.waiting",
               template="payments/widget_waiting.html", refresh_seconds=15, permission="payments.view_stkrequest",
               refresh_on="clock"),  # an STK push starts after the sale's commit
        Widget(key="payments.inbox", title=_("M-Pesa inbox"), callable="modules.core.payments.widgets.inbox",
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
    health_conditions=(HealthCondition("mpesa_callbacks_stopped", "modules.core.payments.health.mpesa_callbacks_stopped"),),
    notification_kinds=(
        NotificationKind(PAYMENT_RECEIVED, _("M-Pesa payment received"), default_roles=("Owner",)),
        NotificationKind(PAYMENT_FAILED, _("M-Pesa payment failed"), default_roles=("Owner",)),
        NotificationKind(MPESA_PAID_LATE, _("M-Pesa paid after we stopped waiting"), default_roles=("Owner",)),
        NotificationKind(INBOX_WAITING, _("M-Pesa money waiting in the inbox"), default_roles=("Owner",), sms=True),
        # one wrong till set-up fails every push: say it once an hour per business, not per push
        NotificationKind(MPESA_SETUP_ERROR, _("M-Pesa set-up problem"), default_roles=("Owner",),
                         throttle_seconds=3600),
    ),
    subscriptions=(
        Subscription("payment.received", "modules.core.payments.notices.on_payment_received", durable=True),
        Subscription("payment.failed", "modules.core.payments.notices.on_payment_failed", durable=True),
        # late and unallocated money must reach the owner: through the outbox, never lost with a worker
        Subscription("mpesa.paid_late", "modules.core.payments.notices.on_mpesa_paid_late", durable=True),
        Subscription("mpesa.unallocated", "modules.core.payments.notices.on_mpesa_unallocated", durable=True),
        Subscription("mpesa.setup_error", "modules.core.payments.notices.on_mpesa_setup_error", durable=True),
    ),
)
