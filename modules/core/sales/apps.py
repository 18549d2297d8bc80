from django.apps import AppConfig
from django.db.models.signals import post_migrate


def seed_rates(sender, using, **kwargs):
    from .tax import seed_rates

    seed_rates(using)


class SalesConfig(AppConfig):
    default = True
    name = "modules.core.sales"
    label = "sales"
    verbose_name = "Sales"

    def ready(self):
        post_migrate.connect(seed_rates, sender=self, dispatch_uid="sales.seed_rates")
