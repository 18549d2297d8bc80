from django.apps import AppConfig


class SalesConfig(AppConfig):
    default = True
    name = "modules.core.sales"
    label = "sales"
    verbose_name = "Sales"
