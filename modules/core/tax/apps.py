from django.apps import AppConfig
from django.db.models.signals import post_migrate


def seed_rates(sender, using, **kwargs):
    from .services import seed_rates

    seed_rates(using)


class TaxConfig(AppConfig):
    default = True
    name = "modules.core.tax"
    label = "tax"
    verbose_name = "Tax"

    def ready(self):
        post_migrate.connect(seed_rates, sender=self, dispatch_uid="tax.seed_rates")
