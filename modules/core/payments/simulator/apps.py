from django.apps import AppConfig


class DarajaSimulatorConfig(AppConfig):
    default = True
    name = "modules.core.payments.simulator"
    label = "mpesa_simulator"
    verbose_name = "M-Pesa simulator (dev and tests only)"
