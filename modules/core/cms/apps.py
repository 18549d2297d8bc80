from django.apps import AppConfig


class CmsConfig(AppConfig):
    default = True
    name = "modules.core.cms"
    label = "cms"
    verbose_name = "Public site"
