from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    default = True
    name = "modules.core.purchasing"
    label = "purchasing"
    verbose_name = "Purchasing"
