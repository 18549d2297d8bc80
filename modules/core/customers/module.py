from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.businesses.history import kept_for_the_audit
from modules.core.registry.contract import MenuItem, Module, Role

MODULE = Module(
    key="customers",
    label=_("Customers"),
    icon="person",
    order=51,
    menu=(MenuItem(_("Customers"), "admin:customers_customer_changelist", "person", "customers.view_customer"),),
    roles=(Role("Accountant", permissions=("customers.view_*",)),),
    append_only=("customers.CustomerEvent", "customers.CustomerPhoneEvent"),  # history (businesses/history.py)
    retention=(kept_for_the_audit("customers.CustomerEvent"), kept_for_the_audit("customers.CustomerPhoneEvent")),
)
