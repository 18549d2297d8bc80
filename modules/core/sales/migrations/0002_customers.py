"""Sales point at the shared customers (modules/core/customers): each old sales.Customer becomes a
customer with that phone, and every sale keeps its customer."""

import django.db.models.deletion
from django.db import migrations, models

from modules.core.customers.historical import CustomerFinder


def to_customers(apps, schema_editor):
    Sale = apps.get_model("sales", "Sale")
    OldCustomer = apps.get_model("sales", "Customer")
    find = CustomerFinder(apps)
    for old in OldCustomer.objects.order_by("pk"):
        customer = find(old.phone, name=old.name)
        sales = Sale.objects.filter(customer_id=old.pk)
        for business_id in sales.values_list("business_id", flat=True).distinct():
            customer.businesses.add(business_id)
        sales.update(buyer=customer)


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0001_initial'),
        ('sales', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='sale',
            name='buyer',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='customers.customer'),
        ),
        migrations.RunPython(to_customers, migrations.RunPython.noop),
    ]
