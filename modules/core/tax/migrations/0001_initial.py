"""``TaxRate`` moves from the sales app to tax (the tax helpers now sit below inventory and payments,
which tax through them). Only Django's state moves: the table keeps its name ``sales_taxrate`` and
its rows; sales/0007 drops the model from sales' state. The content type is relabelled in place, so
the permissions on it (and every group holding them) carry over as ``tax.*_taxrate``."""

import django.core.validators
from decimal import Decimal

from django.db import migrations, models


def relabel_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="tax", model="taxrate").exists():
        ContentType.objects.using(db).filter(app_label="sales", model="taxrate").update(app_label="tax")


def relabel_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="sales", model="taxrate").exists():
        ContentType.objects.using(db).filter(app_label="tax", model="taxrate").update(app_label="sales")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("sales", "0006_buyer_pin"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="TaxRate",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("band", models.CharField(choices=[("A", "A: exempt"), ("B", "B: standard rate"),
                                                           ("C", "C: zero-rated"), ("D", "D: non-VAT"),
                                                           ("E", "E: reduced rate")], max_length=1)),
                        ("percent", models.DecimalField(decimal_places=2, max_digits=5, validators=[
                            django.core.validators.MinValueValidator(Decimal("0"))])),
                        ("effective_from", models.DateField()),
                    ],
                    options={
                        "db_table": "sales_taxrate",
                        "ordering": ["band", "-effective_from"],
                        "constraints": [models.UniqueConstraint(fields=("band", "effective_from"),
                                                                name="one_rate_per_band_and_day")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_type, relabel_back),
    ]
