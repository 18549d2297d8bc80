from django.apps import AppConfig


class ShopConfig(AppConfig):
    default = True
    name = "modules.shop"
    label = "shop"
    verbose_name = "Shop and LPG gas"
