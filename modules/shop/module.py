from modules.core.inventory.services import ITEM_DATA_ENTRY, items_menu_item, price_list_widget
from modules.core.payments.services import PAYMENT_DESK
from modules.core.registry.contract import Business, Module, Role
from modules.core.sales.services import SALES_DESK

from .services import BUSINESS_CODE

MODULE = Module(
    key=BUSINESS_CODE,
    label="Shop",
    icon="storefront",
    order=30,
    business=Business(BUSINESS_CODE, "Shop and LPG gas"),
    menu=(items_menu_item(BUSINESS_CODE, "Shop prices", "storefront"),),
    widgets=(price_list_widget(BUSINESS_CODE, "Shop: price list"),),
    demo="modules.shop.demo.seed",
    roles=(Role("Shop staff", permissions=ITEM_DATA_ENTRY + PAYMENT_DESK + SALES_DESK, business=BUSINESS_CODE),),
)
