"""The one VAT split and rounding helper. Every selling path prices and taxes through here.

Tax bands are KRA eTIMS taxation types (code class 04), set per item:

    A exempt · B standard (16 %) · C zero-rated (0 %) · D non-VAT · E reduced (8 %)

Rates are kept by date (``tax.TaxRate``: a rate per band from a day on, seeded with KRA's rates
since 2013 after ``migrate``, the 14 % of April-December 2020 included), so a sale is
taxed at the rate of its own day. Prices are VAT-inclusive unless an item says otherwise. Each line's VAT is
rounded half up to the cent; a band's totals are the sums of its rounded lines and the sale's
totals the sums of the bands (never re-derived from a total). A business that is not
VAT-registered charges no VAT: its lines are band D.

    from modules.core.tax import services as tax
    split = tax.split([(Decimal("1300.00"), "B"), (Decimal("2900.00"), "C")], on=today,
                      vat_registered=True, discount=Decimal("100"))
    split.vat, split.bands()["B"].vat
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ImproperlyConfigured

from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.registry.refusals import Refusal

from .models import Band, TaxRate

__all__ = ["Band", "BandTotal", "KRA_RATES", "Split", "TaxedLine", "entry_lines", "line_gross", "money", "rates",
           "seed_rates", "split", "vat_in"]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


KRA_RATES = (("A", "0", date(2013, 9, 2)), ("B", "16", date(2013, 9, 2)), ("C", "0", date(2013, 9, 2)),
             ("D", "0", date(2013, 9, 2)), ("E", "8", date(2018, 9, 21)), ("B", "14", date(2020, 4, 1)),
             ("B", "16", date(2021, 1, 1)))


def seed_rates(using: str = "default") -> None:
    """KRA's rates since the VAT Act 2013, into an empty rate table (after ``migrate``, and after a
    ``flush`` empties it: connected to post_migrate in TaxConfig.ready)."""
    if not TaxRate.objects.using(using).exists():
        TaxRate.objects.using(using).bulk_create(
            TaxRate(band=band, percent=Decimal(percent), effective_from=since) for band, percent, since in KRA_RATES)


def money(value) -> Decimal:
    """KES to the cent, half up (the only rounding of money in a sale); what is not a number is refused."""
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise Refusal(f"{value!r} is not an amount of money.") from None


def rates(on: date) -> dict[str, Decimal]:
    """Percent per band on a day: each band's latest rate effective on or before it (its first
    rate for a day before the table starts)."""
    found: dict[str, Decimal] = {}
    for band, percent, since in TaxRate.objects.order_by("effective_from", "pk").values_list(
            "band", "percent", "effective_from"):
        if since <= on or band not in found:
            found[band] = percent
    if not found:  # never tax silently at 0 %
        raise ImproperlyConfigured("The VAT rate table (tax.TaxRate) is empty: run manage.py migrate.")
    return {band: found.get(band, ZERO) for band in Band.values}


def line_gross(unit_price, quantity, *, price_includes_vat: bool = True, percent=ZERO) -> Decimal:
    """What a line costs the customer, VAT included, to the cent."""
    gross = Decimal(unit_price) * Decimal(quantity)
    if not price_includes_vat:
        gross *= 1 + Decimal(percent) / 100
    return money(gross)


def vat_in(gross, percent) -> Decimal:
    """The VAT inside a VAT-inclusive amount at ``percent``, to the cent."""
    percent = Decimal(percent)
    return money(Decimal(gross) * percent / (100 + percent)) if percent else ZERO


@dataclass(frozen=True)
class TaxedLine:
    band: str
    percent: Decimal
    gross: Decimal  # before the discount, VAT included
    discount: Decimal  # this line's share of a whole-sale discount
    vat: Decimal

    @property
    def total(self) -> Decimal:
        return self.gross - self.discount

    @property
    def net(self) -> Decimal:
        return self.total - self.vat


@dataclass(frozen=True)
class BandTotal:
    band: str
    percent: Decimal
    total: Decimal  # VAT included, after discount
    vat: Decimal

    @property
    def net(self) -> Decimal:
        return self.total - self.vat


@dataclass(frozen=True)
class Split:
    lines: tuple[TaxedLine, ...]

    @property
    def gross(self) -> Decimal:
        return sum((line.gross for line in self.lines), ZERO)

    @property
    def discount(self) -> Decimal:
        return sum((line.discount for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), ZERO)

    @property
    def vat(self) -> Decimal:
        return sum((line.vat for line in self.lines), ZERO)

    @property
    def net(self) -> Decimal:
        return self.total - self.vat

    def bands(self) -> dict[str, BandTotal]:
        """Per band: the sums of its rounded lines."""
        found: dict[str, BandTotal] = {}
        for line in self.lines:
            old = found.get(line.band)
            found[line.band] = BandTotal(line.band, line.percent, (old.total if old else ZERO) + line.total,
                                         (old.vat if old else ZERO) + line.vat)
        return found


def _shares(grosses: list[Decimal], discount: Decimal) -> list[Decimal]:
    """A whole-sale discount spread over the lines in proportion, each share to the cent, the last
    line taking what rounding left so the shares add up exactly."""
    total = sum(grosses, ZERO)
    if not discount or not total:
        return [ZERO] * len(grosses)
    shares = [money(discount * gross / total) for gross in grosses]
    last = max(range(len(grosses)), key=lambda i: grosses[i])
    shares[last] += discount - sum(shares, ZERO)
    return shares


def split(lines, *, on: date, vat_registered: bool = True, discount=ZERO, percents=None) -> Split:
    """``lines``: (gross VAT included, band) pairs. Returns each line's discount share and VAT, in
    the same order. ``percents`` (band -> percent) saves the rate lookup when the caller has it."""
    lines = [(money(gross), band if vat_registered else Band.NON_VAT) for gross, band in lines]
    discount = money(discount or 0)
    if discount < 0 or discount > sum((gross for gross, _ in lines), ZERO):
        raise Refusal("The discount must be between 0 and the sale's total.")
    percents = percents if percents is not None else rates(on)
    taxed = []
    for (gross, band), share in zip(lines, _shares([gross for gross, _ in lines], discount)):
        percent = Decimal(percents.get(band, ZERO)) if vat_registered else ZERO
        taxed.append(TaxedLine(band, percent, gross, share, vat_in(gross - share, percent)))
    return Split(tuple(taxed))


def entry_lines(split_: Split, *, receivable: str | None = None, revenue: str | None = None):
    """The revenue entry of a sale: Dr Receivables (total) / Cr Sales (net) / Cr VAT payable (VAT).
    Built only here; a caller adds its own cost of sales or deposit lines beside it."""
    result = [ledger.debit(receivable or chart.RECEIVABLES, split_.total)] if split_.total else []
    if split_.net:
        result.append(ledger.credit(revenue or chart.SALES, split_.net))
    if split_.vat:
        result.append(ledger.credit(chart.VAT_PAYABLE, split_.vat))
    return result
