import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('water', '0003_customers'),
    ]

    operations = [
        migrations.AlterField(
            model_name='bottlemovement',
            name='customer',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='customers.customer'),
        ),
        migrations.AlterField(
            model_name='deliveryorder',
            name='customer',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='customers.customer'),
        ),
    ]
