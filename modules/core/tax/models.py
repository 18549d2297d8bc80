"""Tax bands and the VAT rate table (``services.py`` splits and rounds with them).

``TaxRate`` was the sales app's (``sales.TaxRate``) until the tax helpers moved below inventory and
payments, which tax through them: it keeps its table ``sales_taxrate`` (migration tax/0001 moves only
Django's state, and the content type, so the rows and the permissions granted on them stay)."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models


class Band(models.TextChoices):
    """KRA eTIMS taxation types (code class 04), set per item."""

    EXEMPT = "A", "A: exempt"
    STANDARD = "B", "B: standard rate"
    ZERO_RATED = "C", "C: zero-rated"
    NON_VAT = "D", "D: non-VAT"
    REDUCED = "E", "E: reduced rate"


class TaxRate(models.Model):
    """A tax band's rate from a day on (KRA changes them by law: 16 % became 14 % for 2020)."""

    band = models.CharField(max_length=1, choices=Band.choices)
    percent = models.DecimalField(max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    effective_from = models.DateField()

    class Meta:
        db_table = "sales_taxrate"
        ordering = ["band", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["band", "effective_from"], name="one_rate_per_band_and_day")]

    def __str__(self):
        return f"{self.get_band_display()}: {self.percent.normalize():f} % from {self.effective_from:%d %b %Y}"
