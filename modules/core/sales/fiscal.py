"""The receipt's fiscal part: a tax authority's signature, QR code and tax table (KRA eTIMS's today),
as the module that talks to the authority declares it (``Module.fiscal_receipt``, see
``modules/core/registry/contract.py``). Sales never imports that module; without one, a receipt
shows its own VAT lines and a buyer's PIN is kept as typed, unchecked.

    fiscal.block(sale, issue=2)   # the part to show, or None
    fiscal.template()             # what renders it, as ``block``
    fiscal.issue(sale)            # Print or Share: 1 the original, more a COPY, 0 none
    fiscal.check_buyer("A123456789Z")
"""

from django.utils.module_loading import import_string

from modules.core.registry import registry

from .services import Buyer


def _declared(name: str):
    declared = registry.fiscal_receipt()
    return import_string(getattr(declared, name)) if declared else None


def block(sale, *, issue: int | None = None):
    """The sale's fiscal part of its receipt, or None (no module declares one, or this sale was never
    declared to the authority). ``issue``: which print or share this is; None for the shop's screen."""
    found = _declared("block")
    return found(sale, issue=issue) if found else None


def template() -> str:
    declared = registry.fiscal_receipt()
    return declared.template if declared else ""


def issue(sale) -> int:
    """A print or share of the receipt counted: its number (1 = the original), 0 when none counts."""
    found = _declared("issue")
    return found(sale) if found else 0


def check_buyer(pin: str) -> Buyer:
    """A business customer's tax PIN typed at the sale: checked by the declaring module, else kept."""
    found = _declared("check_buyer")
    return found(pin) if found else Buyer((pin or "").strip().upper().replace(" ", ""))
