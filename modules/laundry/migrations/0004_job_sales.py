"""Every laundry job is a sale of the one sale engine: each job recorded before gets its sale (the
laundry's next receipt numbers; the ticket number it was printed with stays on the job), and its
payments move to that sale. A cancelled job's sale is void."""

import django.db.models.deletion
from django.db import migrations, models

from modules.core.sales.historical import LegacySales


def to_sales(apps, schema_editor):
    Job = apps.get_model("laundry", "Job")
    JobLine = apps.get_model("laundry", "JobLine")
    JournalEntry = apps.get_model("ledger", "JournalEntry")
    legacy = LegacySales(apps, "laundry", "job")
    for job in Job.objects.filter(sale__isnull=True).order_by("created_at", "pk"):
        lines = [(line.item_id, "", line.quantity, line.unit_price, line.line_total, "")
                 for line in JobLine.objects.filter(job=job).order_by("pk")]
        kept = JournalEntry.objects.filter(source_type=legacy.document_type, source_id=str(job.pk),
                                           memo__startswith="Credit for cancelled ticket").exists()
        sale = legacy.record(job, kind="laundry", lines=lines, vat=job.vat, total=job.total, method="cash",
                             customer_id=job.customer_id, paid_at=job.paid_at, voided_at=job.cancelled_at,
                             void_reason=job.cancel_reason, void_refund="credit" if kept else "cash",
                             created_by_id=job.created_by_id, created_at=job.created_at)
        Job.objects.filter(pk=job.pk).update(sale=sale)


class Migration(migrations.Migration):

    dependencies = [
        ('laundry', '0003_job_customer_required'),
        ('ledger', '0002_enforce_in_postgresql'),
        ('payments', '0006_methods'),
        ('sales', '0005_engine'),
    ]

    operations = [
        migrations.AddField(
            model_name='job',
            name='sale',
            field=models.OneToOneField(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sales.sale'),
        ),
        migrations.AlterField(
            model_name='job',
            name='number',
            field=models.PositiveIntegerField(help_text="The ticket number: its sale's receipt number."),
        ),
        migrations.RunPython(to_sales, migrations.RunPython.noop),
    ]
