from modules.core.registry.contract import Business, MenuItem, Module, Role, Widget

from .services import BUSINESS_CODE

MODULE = Module(
    key=BUSINESS_CODE,
    label="Shop",
    icon="storefront",
    order=30,
    business=Business(BUSINESS_CODE, "Shop and LPG gas"),
    menu=(
        MenuItem(
            "Shop prices",
            "/admin/inventory/item/?business__code__exact=" + BUSINESS_CODE,
            "storefront",
            "inventory.view_item",
        ),
    ),
    widgets=(
        Widget(
            key=BUSINESS_CODE + ".prices",
            title="Shop: price list",
            callable="modules.core.inventory.widgets.price_list",
            template="inventory/widget_price_list.html",
            refresh_seconds=15,
            permission="inventory.view_item",
            business=BUSINESS_CODE,
        ),
    ),
    roles=(
        Role(
            "Shop staff",
            permissions=("inventory.view_item", "inventory.add_item", "inventory.change_item"),
            business=BUSINESS_CODE,
        ),
    ),
)
