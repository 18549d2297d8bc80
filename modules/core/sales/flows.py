"""What a module's sale flow declares about its items (``registry.contract.SaleFlow``)."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class FlowItem:
    """``hidden``: never offered (an LPG empty). Otherwise a quick-sale tile that opens ``url``
    (the module's page for it) showing ``label`` and ``price``."""

    item_id: int
    label: str = ""
    price: Decimal | None = None
    url: str = ""
    hidden: bool = False
