from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('water', '0004_customers_required'),
    ]

    operations = [
        migrations.AlterField(
            model_name='deliveryorder',
            name='payment_method',
            field=models.CharField(blank=True, max_length=6),
        ),
    ]
