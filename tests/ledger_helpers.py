"""Small builders for ledger tests."""

from decimal import Decimal

from django.db import transaction

from modules.core.ledger import chart
from modules.core.ledger import services as ledger


def cash_sale(business, amount, on, memo="Cash sale"):
    """A VAT-inclusive cash sale: 16% of the net goes to VAT payable."""
    amount = Decimal(amount)
    net = (amount / Decimal("1.16")).quantize(Decimal("0.01"))
    with transaction.atomic():
        return ledger.post(business, on, memo, [
            ledger.debit(chart.CASH, amount),
            ledger.credit(chart.SALES, net),
            ledger.credit(chart.VAT_PAYABLE, amount - net),
        ])


def owner_capital(business, amount, on):
    with transaction.atomic():
        return ledger.post(business, on, "Owner puts in cash",
                           [ledger.debit(chart.CASH, amount), ledger.credit(chart.OWNER_EQUITY, amount)])
