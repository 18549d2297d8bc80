"""The one VAT split: per-line rounding, band totals as sums of rounded lines, discounts spread to
the cent, a business that is not VAT-registered charges none."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modules.core.tax import services as tax

RATES = {"A": D("0"), "B": D("16"), "C": D("0"), "D": D("0"), "E": D("8")}
DAY = date(2026, 11, 30)


def test_each_line_is_rounded_and_the_bands_are_the_sums_of_their_lines():
    split = tax.split([(D("10.00"), "B"), (D("10.00"), "B"), (D("10.00"), "B"), (D("2900.00"), "C"),
                       (D("108.00"), "E"), (D("50.00"), "A")], on=DAY, percents=RATES)
    assert [line.vat for line in split.lines] == [D("1.38"), D("1.38"), D("1.38"), D("0.00"), D("8.00"), D("0.00")]
    bands = split.bands()
    # three lines of 1.38 = 4.14; VAT on the band's 30.00 at once would be 4.14 too, but the rule
    # is the sum of the lines, whatever rounding does (see the next test)
    assert (bands["B"].total, bands["B"].vat, bands["B"].net) == (D("30.00"), D("4.14"), D("25.86"))
    assert (bands["C"].total, bands["C"].vat) == (D("2900.00"), D("0.00"))
    assert (bands["E"].vat, bands["A"].vat) == (D("8.00"), D("0.00"))
    assert split.vat == D("12.14") and split.total == D("3088.00") and split.net == D("3075.86")


def test_band_vat_is_the_sum_of_rounded_lines_not_the_vat_of_the_band_total():
    split = tax.split([(D("0.10"), "B")] * 3, on=DAY, percents=RATES)
    assert [line.vat for line in split.lines] == [D("0.01")] * 3  # 0.10 × 16/116 = 0.0138 → 0.01
    assert split.bands()["B"].vat == D("0.03")  # not round(0.30 × 16/116) = 0.04


def test_a_discount_is_spread_over_the_lines_to_the_cent():
    split = tax.split([(D("100.00"), "B"), (D("200.00"), "C"), (D("33.33"), "B")], on=DAY, percents=RATES,
                      discount=D("10.00"))
    assert sum(line.discount for line in split.lines) == D("10.00")
    assert [line.discount for line in split.lines] == [D("3.00"), D("6.00"), D("1.00")]
    assert split.total == D("323.33")
    assert split.lines[0].vat == tax.vat_in(D("97.00"), 16) == D("13.38")


def test_not_vat_registered_means_band_d_and_no_vat():
    split = tax.split([(D("116.00"), "B"), (D("108.00"), "E")], on=DAY, percents=RATES, vat_registered=False)
    assert [(line.band, line.vat) for line in split.lines] == [("D", D("0.00")), ("D", D("0.00"))]
    assert split.vat == 0 and split.net == split.total == D("224.00")


def test_prices_without_vat_get_it_added_at_the_band_rate():
    assert tax.line_gross(D("100"), D("3"), price_includes_vat=False, percent=D("16")) == D("348.00")
    assert tax.line_gross(D("99.99"), D("0.333"), percent=D("16")) == D("33.30")  # 33.29667 → 33.30
    assert tax.money(D("2.345")) == D("2.35") and tax.money(D("-2.345")) == D("-2.35")  # half up, not even


def test_a_discount_bigger_than_the_sale_is_refused():
    with pytest.raises(ValidationError, match="between 0 and the sale's total"):  # a refusal views show as is
        tax.split([(D("10.00"), "B")], on=DAY, percents=RATES, discount=D("10.01"))


amounts = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # the shared 2-core box is slow
@given(st.lists(st.tuples(amounts, st.sampled_from(list(RATES))), min_size=1, max_size=12),
       st.decimals(min_value=0, max_value=1, places=2))
def test_totals_always_add_up(lines, fraction):
    gross = sum((g for g, _ in lines), D("0"))
    discount = tax.money(gross * fraction)
    split = tax.split(lines, on=DAY, percents=RATES, discount=discount)
    assert split.total == gross - discount
    assert all(line.total >= 0 for line in split.lines)
    assert split.vat == sum((band.vat for band in split.bands().values()), D("0"))
    assert split.total == sum((band.total for band in split.bands().values()), D("0"))
    for line in split.lines:
        assert line.vat == tax.vat_in(line.total, RATES[line.band])
