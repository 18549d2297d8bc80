from django.apps import AppConfig


class MoneyConfig(AppConfig):
    default = True
    name = "modules.core.money"
    label = "money"
    verbose_name = "Money"
