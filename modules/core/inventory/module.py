from modules.core.registry.contract import MenuItem, Module, Role

MODULE = Module(
    key="inventory",
    label="Stock",
    icon="inventory_2",
    order=50,
    menu=(MenuItem("Items and prices", "admin:inventory_item_changelist", "sell", "inventory.view_item"),),
    roles=(Role("Accountant", permissions=("inventory.view_*",)),),
)
