"""VAT rates live in a table seeded with KRA's rates; a sale is never taxed at 0 % because the table
is empty (a flush, as every transactional test does, or a half-restored database)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from modules.core.tax import services as tax
from modules.core.tax.models import TaxRate


@pytest.mark.django_db(transaction=True)
def test_a_flushed_database_gets_the_rates_back():
    """Runs twice: the second run starts after the first one's flush."""
    assert tax.rates(date(2026, 11, 30))["B"] == Decimal("16")


test_the_rates_survive_a_flush = test_a_flushed_database_gets_the_rates_back


@pytest.mark.django_db
def test_rates_follow_the_law_by_day_and_an_empty_table_is_refused():
    assert tax.rates(date(2020, 6, 1))["B"] == Decimal("14")
    assert tax.rates(date(2019, 1, 1))["E"] == Decimal("8")
    TaxRate.objects.all().delete()
    with pytest.raises(ImproperlyConfigured):
        tax.rates(date(2026, 11, 30))
    tax.seed_rates()
    assert tax.rates(date(2026, 11, 30)) == {"A": 0, "B": 16, "C": 0, "D": 0, "E": 8}
