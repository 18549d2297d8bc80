from django.apps import AppConfig


class LedgerConfig(AppConfig):
    default = True
    name = "modules.core.ledger"
    label = "ledger"
    verbose_name = "Ledger"
