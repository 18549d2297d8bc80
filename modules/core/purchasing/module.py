from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.businesses.history import kept_for_the_audit
from modules.core.registry.contract import ApprovalRule, MenuItem, Module, Role

MODULE = Module(
    key="purchasing",
    label=_("Purchasing"),
    icon="shopping_cart",
    order=52,
    menu=(
        MenuItem(_("Purchase orders"), "admin:purchasing_purchaseorder_changelist", "shopping_cart",
                 "purchasing.view_purchaseorder"),
        MenuItem(_("Suppliers"), "admin:purchasing_supplier_changelist", "local_shipping", "purchasing.view_supplier"),
        MenuItem(_("Supplier bills"), "admin:purchasing_supplierbill_changelist", "request_quote",
                 "purchasing.view_supplierbill"),
        MenuItem(_("Supplier payments"), "admin:purchasing_supplierpayment_changelist", "payments",
                 "purchasing.view_supplierpayment"),
        MenuItem(_("Supplier prices"), "admin:purchasing_supplierprice_changelist", "sell",
                 "purchasing.view_supplierprice"),
    ),
    # The owner buys: business staff roles get nothing here; accountants read everything.
    # Staff with the Importer role (exports) see the supplier price lists they import.
    roles=(Role("Accountant", permissions=("purchasing.view_*",)),
           Role("Importer", permissions=("purchasing.view_supplierprice",))),
    admin_urls="modules.core.purchasing.views.admin_urlpatterns",
    append_only=("purchasing.GoodsReceipt", "purchasing.SupplierBill", "purchasing.SupplierPayment",
                 "purchasing.SupplierPriceEvent"),  # price history (core/businesses/history.py)
    retention=(kept_for_the_audit("purchasing.SupplierPriceEvent"),),
    # Orders above KES 50,000 (services.APPROVAL_THRESHOLD) are approved before they are sent.
    approval_rules=(ApprovalRule("purchasing.PurchaseOrder", threshold="50000.01", label=_("Purchase order"),
                                 permission="purchasing.approve_purchaseorder",
                                 on_approved="modules.core.purchasing.services.approval_granted"),),
)
