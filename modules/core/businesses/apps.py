from django.apps import AppConfig


class BusinessesConfig(AppConfig):
    default = True
    name = "modules.core.businesses"
    label = "businesses"
    verbose_name = "Businesses and people"
