"""Transfer requests are inventory's document now (inventory 0006 takes the table, its rows and
its content type): approvals only forgets the model; the database is not touched here."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("approvals", "0003_approvaldecision"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="TransferRequest")]),
    ]
