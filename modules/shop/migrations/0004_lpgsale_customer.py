"""LPG receipts (and so deposit cylinders) belong to customers, not phone strings."""

import django.db.models.deletion
from django.db import migrations, models

from modules.core.customers.historical import CustomerFinder


def to_customers(apps, schema_editor):
    LpgSale = apps.get_model("shop", "LpgSale")
    find = CustomerFinder(apps)
    for sale in LpgSale.objects.exclude(customer_phone="").order_by("pk").iterator():
        LpgSale.objects.filter(pk=sale.pk).update(customer=find(sale.customer_phone, business_id=sale.business_id))


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0001_initial'),
        ('shop', '0003_cylinder_type_version'),
    ]

    operations = [
        migrations.AddField(
            model_name='lpgsale',
            name='customer',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='lpg_sales', to='customers.customer'),
        ),
        migrations.AlterField(
            model_name='lpgsale',
            name='customer_phone',
            field=models.CharField(blank=True, help_text='The number given at the counter.', max_length=12),
        ),
        migrations.RunPython(to_customers, migrations.RunPython.noop),
    ]
