from modules.core.inventory.services import ITEM_DATA_ENTRY, items_menu_item, price_list_widget
from modules.core.payments.services import PAYMENT_DESK
from modules.core.registry.contract import Business, Module, Role
from modules.core.sales.services import SALES_DESK

from .services import BUSINESS_CODE

MODULE = Module(
    key=BUSINESS_CODE,
    label="Water",
    icon="water_drop",
    order=10,
    business=Business(BUSINESS_CODE, "Water refill and packaging"),
    menu=(items_menu_item(BUSINESS_CODE, "Water prices", "water_drop"),),
    widgets=(price_list_widget(BUSINESS_CODE, "Water: price list"),),
    demo="modules.water.demo.seed",
    roles=(Role("Water staff", permissions=ITEM_DATA_ENTRY + PAYMENT_DESK + SALES_DESK, business=BUSINESS_CODE),),
)
