from django.apps import AppConfig


class InventoryConfig(AppConfig):
    default = True
    name = "modules.core.inventory"
    label = "inventory"
    verbose_name = "Inventory"
