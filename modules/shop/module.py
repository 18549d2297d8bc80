from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.inventory.services import ITEM_DATA_ENTRY, STOCK_DESK, items_menu_item, price_list_widget
from modules.core.payments.services import PAYMENT_DESK
from modules.core.cms.services import REQUEST_DESK
from modules.core.businesses.history import kept_for_the_audit
from modules.core.registry.contract import Business, CustomerRequestKind, MenuItem, Module, PublicSite, Role, SaleFlow, Widget
from modules.core.sales.services import SALES_DESK, takings_widget

from .services import ACCOUNTS, BUSINESS_CODE, LPG_DESK

MODULE = Module(
    key=BUSINESS_CODE,
    label=_("Shop"),
    icon="storefront",
    order=30,
    business=Business(BUSINESS_CODE, "Shop and LPG gas"),
    menu=(
        MenuItem(_("LPG exchange"), "admin:shop:lpg", "propane_tank", "shop.add_lpgsale"),
        MenuItem(_("LPG receipts"), "admin:shop_lpgsale_changelist", "receipt_long", "shop.view_lpgsale"),
        MenuItem(_("Deposit cylinders out"), "admin:shop:lpg_deposits", "assignment_return", "shop.view_lpgsale"),
        MenuItem(_("Cylinder types"), "admin:shop_cylindertype_changelist", "propane", "shop.view_cylindertype"),
        MenuItem(_("LPG restock"), "admin:shop:lpg_restock_list", "local_shipping", "purchasing.add_goodsreceipt"),
        items_menu_item(BUSINESS_CODE, _("Shop prices"), "storefront"),
    ),
    widgets=(
        Widget(key="shop.lpg_stock", title=_("Shop: LPG fulls and empties"), callable="modules.shop.widgets.lpg_stock",
               template="shop/widget_lpg_stock.html", refresh_seconds=30, permission="shop.view_cylindertype",
               business=BUSINESS_CODE),
        takings_widget(BUSINESS_CODE, _("Shop: today's takings")),
        Widget(key="shop.top_sellers", title=_("Shop: top sellers (7 days)"), callable="modules.shop.widgets.top_sellers",
               template="shop/widget_top_sellers.html", refresh_seconds=300, permission="sales.view_sale",
               business=BUSINESS_CODE),
        price_list_widget(BUSINESS_CODE, _("Shop: price list")),
    ),
    demo="modules.shop.demo.seed",
    sale_flows=(SaleFlow("shop.lpg", "the LPG exchange", items="modules.shop.sale_flows.quick_sale_items"),),
    accounts=ACCOUNTS,
    admin_urls="modules.shop.views.admin_urlpatterns",
    roles=(
        Role("Shop staff", permissions=ITEM_DATA_ENTRY + STOCK_DESK + PAYMENT_DESK + SALES_DESK + LPG_DESK + REQUEST_DESK,
             business=BUSINESS_CODE),
        Role("Accountant", permissions=("shop.view_*",)),
    ),
    public=PublicSite(
        summary="Everyday groceries and household goods, and LPG gas: refills, swaps and new cylinders.",
        requests=(CustomerRequestKind("shop.gas_refill", "Gas refill", create="modules.shop.public.refill_from_request",
                                      action_label="Open the LPG exchange", asks_place=True),),
    ),
    append_only=("shop.CylinderTypeEvent", "shop.SwapFeeEvent"),  # price history (core/businesses/history.py)
    retention=(kept_for_the_audit("shop.CylinderTypeEvent"), kept_for_the_audit("shop.SwapFeeEvent")),
)
