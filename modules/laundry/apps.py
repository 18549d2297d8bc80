from django.apps import AppConfig


class LaundryConfig(AppConfig):
    default = True
    name = "modules.laundry"
    label = "laundry"
    verbose_name = "Laundry"
