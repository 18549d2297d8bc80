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
OPERATING_EXPENSES = "6000"  # "other expenses": what fits no category below
RENT = "6100"
POWER = "6200"
WATER_BILLS = "6300"
WAGES = "6400"
TRANSPORT = "6500"
REPAIRS = "6600"
CHARGES = "6700"  # bank and M-Pesa charges
SUPPLIES = "6800"
AIRTIME = "6810"
OWNER_FLOAT = "2500"  # cash the owner lends a drawer as change, taken back later
BETWEEN_BUSINESSES = "1400"  # one business's cash handed to another: nets to zero across them
# Expense categories are the expense accounts coded 6000-6899 (6900 and up are kept for the
# system, e.g. reports' cash over and short); the owner adds more (add_expense_category).
CATEGORY_CODES = ("6000", "6899")
CATEGORY_LOCK = 0x1ED6E7

TEMPLATE = (
    AccountSpec(CASH, "Cash", "asset", allow_negative=False),
    AccountSpec(MPESA, "M-Pesa till", "asset", allow_negative=False),
    AccountSpec(BANK, "Bank", "asset"),
    AccountSpec(RECEIVABLES, "Receivables", "asset"),
    AccountSpec(INVENTORY, "Inventory", "asset"),
    AccountSpec(INPUT_VAT, "VAT on purchases (claimable)", "asset"),
    AccountSpec(BETWEEN_BUSINESSES, "Between businesses (owed by the others)", "asset"),
    AccountSpec(PAYABLES, "Payables", "liability"),
    AccountSpec(CUSTOMER_DEPOSITS, "Customer deposits (bottles, cylinders)", "liability"),
    AccountSpec(CUSTOMER_CREDIT, "Customer credit", "liability"),
    AccountSpec(VAT_PAYABLE, "VAT payable", "liability"),
    AccountSpec(OWNER_FLOAT, "Cash float lent by the owner", "liability"),
    AccountSpec(OWNER_EQUITY, "Owner's equity", "equity"),
    AccountSpec(OWNER_DRAWINGS, "Owner's drawings", "equity"),
    AccountSpec(SALES, "Sales", "revenue"),
    AccountSpec(COST_OF_SALES, "Cost of goods sold", "expense"),
    AccountSpec(STOCK_LOSSES, "Stock losses", "expense"),
    AccountSpec(OPERATING_EXPENSES, "Operating expenses", "expense"),
    AccountSpec(RENT, "Rent", "expense"),
    AccountSpec(POWER, "Electricity", "expense"),
    AccountSpec(WATER_BILLS, "Water bills", "expense"),
    AccountSpec(WAGES, "Wages", "expense"),
    AccountSpec(TRANSPORT, "Transport and fuel", "expense"),
    AccountSpec(REPAIRS, "Repairs and maintenance", "expense"),
    AccountSpec(CHARGES, "Bank and M-Pesa charges", "expense"),
    AccountSpec(SUPPLIES, "Supplies", "expense"),
    AccountSpec(AIRTIME, "Airtime and data", "expense"),
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


def expense_categories(business):
    """The business's expense categories (active expense accounts coded 6000-6899), by name."""
    from .models import Account

    low, high = CATEGORY_CODES
    return Account.objects.filter(business=business, kind="expense", code__gte=low, code__lte=high,
                                  is_active=True).order_by("name")


def add_expense_category(name: str, businesses) -> list:
    """A new expense category (an account) in each of ``businesses``. A name another business
    already uses keeps that code, so a code means one thing across businesses (the consolidated
    P&L adds them up); otherwise the next free code in the 6000-6899 range. Returns the accounts."""
    from django.core.exceptions import ValidationError
    from django.db import connection, transaction

    from .models import Account

    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("Give the category a name, like Security or Rent.")
    if len(name) > 80:
        raise ValidationError("Use at most 80 letters for the name.")
    low, high = CATEGORY_CODES
    with transaction.atomic():
        with connection.cursor() as cursor:  # one adder at a time picks a free code
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CATEGORY_LOCK])
        same = (Account.objects.filter(kind="expense", code__gte=low, code__lte=high, name__iexact=name)
                .values_list("code", flat=True).first())
        code = same or _free_code(low, high)
        created = []
        for business in businesses:
            account = Account.objects.filter(business=business, code=code).first()
            if account is not None:
                if not account.is_active:
                    account.is_active = True
                    account.save(update_fields=["is_active"])
                created.append(account)
                continue
            created.append(Account.objects.create(business=business, code=code, name=name, kind="expense"))
        return created


def _free_code(low: str, high: str) -> str:
    from django.core.exceptions import ValidationError

    from .models import Account

    used = set(Account.objects.filter(code__gte=low, code__lte=high).values_list("code", flat=True))
    for number in range(int(low) + 10, int(high) + 1, 10):
        if str(number) not in used:
            return str(number)
    for number in range(int(low), int(high) + 1):
        if str(number) not in used:
            return str(number)
    raise ValidationError("There is no room for another expense category: rename or reuse one.")


def category_choices(businesses) -> list[tuple[str, str]]:
    """(code, name) of the expense categories of any of ``businesses``, by name: one list for a
    form used across businesses (a code means the same category in each, add_expense_category)."""
    from .models import Account

    low, high = CATEGORY_CODES
    rows = (Account.objects.filter(business__in=businesses, kind="expense", code__gte=low, code__lte=high,
                                   is_active=True).values_list("code", "name").distinct())
    return sorted(set(rows), key=lambda row: (row[1].lower(), row[0]))


def category_for(business, category):
    """The business's expense category for a code (or an account of it); a plain refusal otherwise."""
    from modules.core.registry.refusals import Refusal

    code = getattr(category, "code", category)
    found = expense_categories(business).filter(code=str(code or "")).first()
    if found is None:
        raise Refusal(f"Pick an expense category of {business.name} (rent, transport, repairs…).")
    return found
