"""SupplierPrice belongs to purchasing (purchasing/0004 takes it over, rows and all): exports
forgets the model here and touches no table."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('exports', '0002_exportlogentry'),
        ('purchasing', '0003_supplierbill_category'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name='SupplierPrice')]),
    ]
