"""Bottle deposits and deliveries belong to customers: the phone (and name) on each find or make them."""

import django.db.models.deletion
from django.db import migrations, models

from modules.core.customers.historical import CustomerFinder


def to_customers(apps, schema_editor):
    find = CustomerFinder(apps)
    for name in ("BottleMovement", "DeliveryOrder"):
        model = apps.get_model("water", name)
        for row in model.objects.order_by("pk").iterator():
            model.objects.filter(pk=row.pk).update(
                customer=find(row.customer_phone, name=row.customer_name, business_id=row.business_id))


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0001_initial'),
        ('water', '0002_delivery_version'),
    ]

    operations = [
        migrations.AddField(
            model_name='bottlemovement',
            name='customer',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='customers.customer'),
        ),
        migrations.AddField(
            model_name='deliveryorder',
            name='customer',
            field=models.ForeignKey(editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='customers.customer'),
        ),
        migrations.AlterField(
            model_name='bottlemovement',
            name='customer_phone',
            field=models.CharField(db_index=True, help_text='2547XXXXXXXX: the number given.', max_length=12),
        ),
        migrations.RunPython(to_customers, migrations.RunPython.noop),
    ]
