from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.registry.contract import MenuItem, Module, NotificationKind, Payable, Role, Subscription, Widget

MODULE = Module(
    key="sales",
    label=_("Sales"),
    icon="point_of_sale",
    order=5,  # the Sell button comes first on the dashboard
    menu=(
        MenuItem(_("Quick sale"), "admin:sales:quick_sale", "point_of_sale", "sales.add_sale"),
        MenuItem(_("Sales"), "admin:sales_sale_changelist", "receipt", "sales.view_sale"),
        MenuItem(_("VAT rates"), "admin:tax_taxrate_changelist", "percent", "tax.change_taxrate"),
    ),
    widgets=(
        Widget(key="sales.quick", title=_("Sell"), callable="modules.core.sales.widgets.quick_sale",
               template="sales/widget_quick_sale.html", refresh_seconds=3600, permission="sales.add_sale"),
        Widget(key="sales.today", title=_("Today"), callable="modules.core.sales.widgets.today",
               template="sales/widget_today.html", refresh_seconds=15, permission="ledger.view_journalentry"),
        Widget(key="sales.debtors", title=_("Who owes me"), callable="modules.core.sales.widgets.debtors",
               template="sales/widget_debtors.html", refresh_seconds=60, permission="ledger.view_journalentry"),
    ),
    roles=(Role("Accountant", permissions=("sales.view_*",)),),
    payables=(Payable("sales.Sale", "Sale", find="modules.core.sales.payables.find_sale",
                      open="modules.core.sales.payables.open_sales"),),
    notification_kinds=(NotificationKind("sales.offline_refused", _("Offline sale refused when sent"),
                                         default_roles=("Owner",)),),
    # the receipt as a short link by SMS once a sale with a customer is paid (texts.py)
    subscriptions=(Subscription("payment.received", "modules.core.sales.texts.text_the_receipt", durable=True),),
    admin_urls="modules.core.sales.views.admin_urlpatterns",
    append_only=("sales.SaleLine",),
)
