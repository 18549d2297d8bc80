"""Invoices with a phone belong to that customer."""

import django.db.models.deletion
from django.db import migrations, models

from modules.core.customers.historical import CustomerFinder


def to_customers(apps, schema_editor):
    Invoice = apps.get_model("payments", "Invoice")
    find = CustomerFinder(apps)
    for invoice in Invoice.objects.exclude(customer_phone="").order_by("pk").iterator():
        Invoice.objects.filter(pk=invoice.pk).update(
            customer=find(invoice.customer_phone, business_id=invoice.business_id))


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0001_initial'),
        ('payments', '0002_result_code_as_text'),
    ]

    operations = [
        migrations.AddField(
            model_name='invoice',
            name='customer',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='invoices', to='customers.customer'),
        ),
        migrations.RunPython(to_customers, migrations.RunPython.noop),
    ]
