"""Tax bands: a rate table kept by date, and each sale line's band, discount share and VAT. Lines
sold before this were all standard rate; their VAT is the sale's VAT spread over them (each line
rounded, the largest taking the remainder), so the books do not move by a cent."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import django.core.validators
from django.db import migrations, models

CENT = Decimal("0.01")
RATES = (("A", "0", date(2013, 9, 2)), ("B", "16", date(2013, 9, 2)), ("C", "0", date(2013, 9, 2)),
         ("D", "0", date(2013, 9, 2)), ("E", "8", date(2018, 9, 21)), ("B", "14", date(2020, 4, 1)),
         ("B", "16", date(2021, 1, 1)))


def seed_rates(apps, schema_editor):
    TaxRate = apps.get_model("sales", "TaxRate")
    for band, percent, since in RATES:
        TaxRate.objects.get_or_create(band=band, effective_from=since, defaults={"percent": Decimal(percent)})


def spread(total, weights):
    if not total or not sum(weights):
        return [Decimal("0")] * len(weights)
    parts = [(total * w / sum(weights)).quantize(CENT, rounding=ROUND_HALF_UP) for w in weights]
    largest = max(range(len(weights)), key=lambda i: weights[i])
    parts[largest] += total - sum(parts)
    return parts


def backfill_lines(apps, schema_editor):
    Sale = apps.get_model("sales", "Sale")
    SaleLine = apps.get_model("sales", "SaleLine")
    for sale in Sale.objects.filter(vat__gt=0).order_by("pk").iterator(chunk_size=2000):
        lines = list(SaleLine.objects.filter(sale=sale).order_by("pk"))
        grosses = [line.line_total for line in lines]
        discounts = spread(sale.discount, grosses)
        vats = spread(sale.vat, [g - d for g, d in zip(grosses, discounts)])
        for line, discount, vat in zip(lines, discounts, vats):
            line.discount, line.vat = discount, vat
        SaleLine.objects.bulk_update(lines, ["discount", "vat"])


class Migration(migrations.Migration):

    dependencies = [
        ('sales', '0003_drop_old_customers'),
    ]

    operations = [
        migrations.CreateModel(
            name='TaxRate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('band', models.CharField(choices=[('A', 'A: exempt'), ('B', 'B: standard rate'), ('C', 'C: zero-rated'), ('D', 'D: non-VAT'), ('E', 'E: reduced rate')], max_length=1)),
                ('percent', models.DecimalField(decimal_places=2, max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0'))])),
                ('effective_from', models.DateField()),
            ],
            options={
                'ordering': ['band', '-effective_from'],
                'constraints': [models.UniqueConstraint(fields=('band', 'effective_from'), name='one_rate_per_band_and_day')],
            },
        ),
        migrations.AddField(
            model_name='saleline',
            name='band',
            field=models.CharField(choices=[('A', 'A: exempt'), ('B', 'B: standard rate'), ('C', 'C: zero-rated'), ('D', 'D: non-VAT'), ('E', 'E: reduced rate')], default='B', max_length=1, verbose_name='tax band'),
        ),
        migrations.AddField(
            model_name='saleline',
            name='discount',
            field=models.DecimalField(decimal_places=2, default=0, help_text="This line's share of a whole-sale discount.", max_digits=14),
        ),
        migrations.AddField(
            model_name='saleline',
            name='vat',
            field=models.DecimalField(decimal_places=2, default=0, help_text='VAT in the line after its discount share.', max_digits=14),
        ),
        migrations.AlterField(
            model_name='saleline',
            name='line_total',
            field=models.DecimalField(decimal_places=2, help_text='VAT included, before a whole-sale discount.', max_digits=14),
        ),
        migrations.RunPython(seed_rates, migrations.RunPython.noop),
        migrations.RunPython(backfill_lines, migrations.RunPython.noop),
    ]
