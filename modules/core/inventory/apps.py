from django.apps import AppConfig
from django.db.models.signals import post_save


def announce_item_change(sender, instance, **kwargs):
    """A new price or name is news for price lists and the live dashboard (after commit)."""
    from modules.core.registry import events

    events.publish("inventory.item_changed", business=instance.business.code, item_id=instance.pk)


class InventoryConfig(AppConfig):
    default = True
    name = "modules.core.inventory"
    label = "inventory"
    verbose_name = "Inventory"

    def ready(self):
        post_save.connect(announce_item_change, sender="inventory.Item", dispatch_uid="inventory.item_changed")
