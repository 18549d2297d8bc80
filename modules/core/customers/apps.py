from django.apps import AppConfig


class CustomersConfig(AppConfig):
    default = True
    name = "modules.core.customers"
    label = "customers"
    verbose_name = "Customers"
