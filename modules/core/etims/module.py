from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.registry.contract import (FiscalReceipt, MenuItem, Module, NotificationKind, OutboxTopic, Role,
                                            Schedule, Subscription, Widget)

MODULE = Module(
    key="etims",
    label=_("eTIMS"),
    icon="verified",
    order=60,
    menu=(
        MenuItem(_("eTIMS invoices"), "admin:etims_invoice_changelist", "verified", "etims.view_invoice"),
        MenuItem(_("eTIMS report"), "admin:etims:report", "percent", "etims.view_invoice"),
        MenuItem(_("Supplier invoices from KRA"), "admin:etims:purchases", "receipt_long", "etims.view_purchase"),
        MenuItem(_("Expenses without eTIMS"), "admin:etims:unbacked", "request_quote", "etims.view_purchase"),
    ),
    admin_urls="modules.core.etims.views.admin_urlpatterns",
    widgets=(
        Widget(key="etims.pending", title=_("eTIMS"), callable="modules.core.etims.widgets.pending",
               template="etims/widget_pending.html", refresh_seconds=60, permission="etims.view_invoice",
               refresh_on="clock"),  # signatures arrive from a worker, after the sale's own event
    ),
    # the accountant matches KRA's purchase invoices to bills (bookkeeping: no money moves)
    roles=(Role("Accountant", permissions=("etims.view_*", "etims.change_purchase")),),
    # sales' receipt carries KRA's part, and the quick sale checks a buyer's PIN with KRA, through
    # this declaration: sales never imports etims
    fiscal_receipt=FiscalReceipt(block="modules.core.etims.receipts.for_sale", template="etims/receipt_block.html",
                                 issue="modules.core.etims.receipts.issue",
                                 check_buyer="modules.core.etims.services.check_buyer_pin"),
    subscriptions=(
        Subscription("sale.committed", "modules.core.etims.services.on_sale_committed", durable=True),
        Subscription("sale.voided", "modules.core.etims.services.on_sale_voided", durable=True),
    ),
    outbox_topics=(
        # KRA may be down for hours: keep trying (every 15 s doubling to 10 min) for about 3 days
        OutboxTopic("etims.sign", handler="modules.core.etims.services.sign_message", max_attempts=450,
                    backoff_seconds=15, max_backoff_seconds=600, timeout=180, label=_("eTIMS invoice to sign")),
        OutboxTopic("etims.stock", handler="modules.core.etims.services.stock_message", max_attempts=450,
                    backoff_seconds=30, max_backoff_seconds=600, timeout=180, label=_("eTIMS stock report")),
    ),
    schedules=(Schedule("etims.watch_pending", "modules.core.etims.services.watch_pending", interval=300),
               Schedule("etims.fetch_purchases", "modules.core.etims.purchases.fetch_job", interval=6 * 3600)),
    notification_kinds=(
        NotificationKind("etims.pending", _("eTIMS: sales waiting more than an hour"), default_roles=("Owner",),
                         throttle_seconds=6 * 3600),
        NotificationKind("etims.device_problem", _("eTIMS: the device cannot sign"), default_roles=("Owner",),
                         throttle_seconds=6 * 3600),
        NotificationKind("etims.refused", _("eTIMS: an invoice was refused"), default_roles=("Owner",)),
    ),
)
