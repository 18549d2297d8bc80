from django.apps import AppConfig


class BusinessesConfig(AppConfig):
    default = True
    name = "modules.core.businesses"
    label = "businesses"
    verbose_name = "Businesses and people"

    def ready(self):
        from modules.core.registry.signals import after_migrate

        from . import language  # noqa: F401  (its user_logged_in receiver)
        from .services import sync_businesses

        after_migrate(sync_businesses)
