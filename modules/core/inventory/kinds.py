"""Keys of inventory's notification kinds (declared in module.py, sent by notices.py; import-light)."""

LOW_STOCK = "inventory.low_stock"
