from django.apps import AppConfig


class EtimsConfig(AppConfig):
    default = True
    name = "modules.core.etims"
    label = "etims"
    verbose_name = "KRA eTIMS"
