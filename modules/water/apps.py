from django.apps import AppConfig


class WaterConfig(AppConfig):
    default = True
    name = "modules.water"
    label = "water"
    verbose_name = "Water refill and packaging"
