from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('businesses', '0002_business_vat_registered'),
        ('payments', '0005_mpesa_statements'),
    ]

    operations = [
        migrations.AlterField(
            model_name='payment',
            name='method',
            field=models.CharField(choices=[('cash', 'Cash'), ('mpesa', 'M-Pesa'), ('bank', 'Bank transfer'), ('credit', 'Customer credit')], max_length=6),
        ),
        migrations.AddIndex(
            model_name='payment',
            index=models.Index(fields=['business', 'received_at'], name='payment_business_time'),
        ),
    ]
