"""The chart of accounts every business starts from; modules add their own (Module.accounts)."""

from django.core.exceptions import ImproperlyConfigured

from modules.core.registry import registry
from modules.core.registry.contract import AccountSpec

CASH = "1000"
MPESA = "1010"
BANK = "1020"
RECEIVABLES = "1100"
INVENTORY = "1200"
INPUT_VAT = "1300"
PAYABLES = "2000"
CUSTOMER_DEPOSITS = "2100"
CUSTOMER_CREDIT = "2200"
VAT_PAYABLE = "2300"
OWNER_EQUITY = "3000"
OWNER_DRAWINGS = "3100"
SALES = "4000"
COST_OF_SALES = "5000"
STOCK_LOSSES = "5100"
OPERATING_EXPENSES = "6000"

TEMPLATE = (
    AccountSpec(CASH, "Cash", "asset", allow_negative=False),
    AccountSpec(MPESA, "M-Pesa till", "asset", allow_negative=False),
    AccountSpec(BANK, "Bank", "asset"),
    AccountSpec(RECEIVABLES, "Receivables", "asset"),
    AccountSpec(INVENTORY, "Inventory", "asset"),
    AccountSpec(INPUT_VAT, "VAT on purchases (claimable)", "asset"),
    AccountSpec(PAYABLES, "Payables", "liability"),
    AccountSpec(CUSTOMER_DEPOSITS, "Customer deposits (bottles, cylinders)", "liability"),
    AccountSpec(CUSTOMER_CREDIT, "Customer credit", "liability"),
    AccountSpec(VAT_PAYABLE, "VAT payable", "liability"),
    AccountSpec(OWNER_EQUITY, "Owner's equity", "equity"),
    AccountSpec(OWNER_DRAWINGS, "Owner's drawings", "equity"),
    AccountSpec(SALES, "Sales", "revenue"),
    AccountSpec(COST_OF_SALES, "Cost of goods sold", "expense"),
    AccountSpec(STOCK_LOSSES, "Stock losses", "expense"),
    AccountSpec(OPERATING_EXPENSES, "Operating expenses", "expense"),
)


def specs_for(business_code: str) -> tuple[AccountSpec, ...]:
    """The shared template plus the business module's own accounts, which must use free codes
    (customer deposits already have 2100 in the template)."""
    module = registry.module_for_business(business_code)
    # core modules (no business of their own) declare accounts every business gets, e.g. reports'
    # "Cash over and short"
    shared = tuple(spec for m in registry.modules() if m.business is None for spec in m.accounts)
    for owner in [m for m in registry.modules() if m.business is None and m.accounts] + ([module] if module else []):
        clashing = [spec.code for spec in owner.accounts if spec.code in {s.code for s in TEMPLATE}]
        if clashing:
            raise ImproperlyConfigured(f"module {owner.key!r} declares account code(s) {clashing} that the shared "
                                       f"chart already uses; pick free codes")
    return TEMPLATE + shared + (module.accounts if module else ())


def ensure_charts() -> None:
    """Create any missing account of every business's chart (idempotent; runs after migrate)."""
    from modules.core.businesses.models import Business

    from .models import Account

    for business in Business.objects.all():
        for spec in specs_for(business.code):
            Account.objects.get_or_create(
                business=business, code=spec.code,
                defaults={"name": spec.name, "kind": spec.kind, "allow_negative": spec.allow_negative},
            )
