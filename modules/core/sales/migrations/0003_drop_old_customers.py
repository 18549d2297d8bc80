"""The old sales.Customer table goes; sales keep the customers 0002 gave them (its own migration,
so PostgreSQL has no pending row changes when the columns are altered)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sales', '0002_customers'),
    ]

    operations = [
        migrations.RemoveField(model_name='sale', name='customer'),
        migrations.DeleteModel(name='Customer'),
        migrations.RenameField(model_name='sale', old_name='buyer', new_name='customer'),
        migrations.AlterField(
            model_name='sale',
            name='customer',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='sales', to='customers.customer'),
        ),
    ]
