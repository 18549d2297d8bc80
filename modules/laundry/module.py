from modules.core.inventory.services import ITEM_DATA_ENTRY, items_menu_item, price_list_widget
from modules.core.payments.services import PAYMENT_DESK
from modules.core.registry.contract import Business, Module, Role
from modules.core.sales.services import SALES_DESK

from .services import BUSINESS_CODE

MODULE = Module(
    key=BUSINESS_CODE,
    label="Laundry",
    icon="local_laundry_service",
    order=20,
    business=Business(BUSINESS_CODE, "Laundry"),
    menu=(items_menu_item(BUSINESS_CODE, "Laundry prices", "local_laundry_service"),),
    widgets=(price_list_widget(BUSINESS_CODE, "Laundry: price list"),),
    demo="modules.laundry.demo.seed",
    roles=(Role("Laundry staff", permissions=ITEM_DATA_ENTRY + PAYMENT_DESK + SALES_DESK, business=BUSINESS_CODE),),
)
