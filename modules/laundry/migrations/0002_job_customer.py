"""Every job belongs to a customer: the phone (and name) given at drop-off find or make them."""

import django.db.models.deletion
from django.db import migrations, models

from modules.core.customers.historical import CustomerFinder


def to_customers(apps, schema_editor):
    Job = apps.get_model("laundry", "Job")
    find = CustomerFinder(apps)
    for job in Job.objects.order_by("pk").iterator():
        Job.objects.filter(pk=job.pk).update(
            customer=find(job.customer_phone, name=job.customer_name, business_id=job.business_id))


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0001_initial'),
        ('laundry', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='job',
            name='customer',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='laundry_jobs', to='customers.customer'),
        ),
        migrations.AlterField(
            model_name='job',
            name='customer_phone',
            field=models.CharField(help_text='2547XXXXXXXX: the number given at drop-off.', max_length=12),
        ),
        migrations.RunPython(to_customers, migrations.RunPython.noop),
    ]
