from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0004_item_version'),
    ]

    operations = [
        migrations.AddField(
            model_name='item',
            name='tax_band',
            field=models.CharField(choices=[('A', 'A: exempt'), ('B', 'B: standard rate'), ('C', 'C: zero-rated'), ('D', 'D: non-VAT'), ('E', 'E: reduced rate')], default='B', help_text='KRA eTIMS tax band: B standard (16 %), C zero-rated, A exempt, E 8 %, D non-VAT.', max_length=1, verbose_name='VAT class'),
        ),
        migrations.AlterField(
            model_name='item',
            name='price_includes_vat',
            field=models.BooleanField(default=True, verbose_name='price includes VAT'),
        ),
    ]
