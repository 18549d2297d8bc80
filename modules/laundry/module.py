from modules.core.registry.contract import Business, MenuItem, Module, Role, Widget

from .services import BUSINESS_CODE

MODULE = Module(
    key=BUSINESS_CODE,
    label="Laundry",
    icon="local_laundry_service",
    order=20,
    business=Business(BUSINESS_CODE, "Laundry"),
    menu=(
        MenuItem(
            "Laundry prices",
            "/admin/inventory/item/?business__code__exact=" + BUSINESS_CODE,
            "local_laundry_service",
            "inventory.view_item",
        ),
    ),
    widgets=(
        Widget(
            key=BUSINESS_CODE + ".prices",
            title="Laundry: price list",
            callable="modules.core.inventory.widgets.price_list",
            template="inventory/widget_price_list.html",
            refresh_seconds=15,
            permission="inventory.view_item",
            business=BUSINESS_CODE,
        ),
    ),
    roles=(
        Role(
            "Laundry staff",
            permissions=("inventory.view_item", "inventory.add_item", "inventory.change_item"),
            business=BUSINESS_CODE,
        ),
    ),
)
