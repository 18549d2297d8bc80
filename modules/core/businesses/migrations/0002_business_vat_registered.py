from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('businesses', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='business',
            name='vat_registered',
            field=models.BooleanField(default=True, help_text='Off: its sales charge and post no VAT (every line is eTIMS band D, non-VAT).', verbose_name='VAT-registered'),
        ),
    ]
