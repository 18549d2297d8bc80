"""The LPG receipt counter goes (the shop's one receipt counter numbers LPG sales); an LPG
receipt's paid time is its sale's."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('shop', '0005_lpg_sales'),
    ]

    operations = [
        migrations.RemoveField(model_name='lpgsale', name='paid_at'),
        migrations.DeleteModel(name='LpgCounter'),
    ]
