from django.apps import AppConfig


class EtimsSimulatorConfig(AppConfig):
    default = True
    name = "modules.core.etims.simulator"
    label = "etims_simulator"
    verbose_name = "KRA eTIMS simulator (dev and tests only)"
