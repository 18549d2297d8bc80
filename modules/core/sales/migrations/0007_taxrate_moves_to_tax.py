"""``TaxRate`` now belongs to the tax app (tax/0001 took it over with its table ``sales_taxrate``):
only Django's state forgets it here; the table and its rows stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("sales", "0006_buyer_pin"),
        ("tax", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="TaxRate")],
            database_operations=[],
        ),
    ]
