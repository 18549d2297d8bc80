from django.apps import AppConfig


class CmsConfig(AppConfig):
    default = True
    name = "modules.core.cms"
    label = "cms"
    verbose_name = "Public site"

    def ready(self):
        from modules.core.registry.signals import after_migrate

        from .sync import sync_public_site

        after_migrate(sync_public_site)
