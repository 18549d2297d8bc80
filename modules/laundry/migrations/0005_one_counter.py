"""The ticket counter goes (the laundry's one receipt counter numbers jobs); the job's drop-off
entry and paid time are its sale's."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('laundry', '0004_job_sales'),
    ]

    operations = [
        migrations.RemoveField(model_name='job', name='paid_at'),
        migrations.RemoveField(model_name='job', name='sale_entry'),
        migrations.DeleteModel(name='TicketCounter'),
        migrations.AlterField(
            model_name='job',
            name='sale',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sales.sale'),
        ),
    ]
