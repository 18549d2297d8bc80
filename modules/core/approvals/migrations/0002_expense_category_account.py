"""An expense's category becomes one of the business's expense accounts, so the P&L shows it on
its own line (ledger.chart.CATEGORY_CODES). The old fixed choices map to the matching account."""

import django.db.models.deletion
from django.db import migrations, models

OLD_TO_CODE = {"supplies": "6800", "transport": "6500", "repairs": "6600", "utilities": "6000", "airtime": "6810",
               "wages": "6400", "other": "6000"}


def to_accounts(apps, schema_editor):
    ExpenseRequest = apps.get_model("approvals", "ExpenseRequest")
    Account = apps.get_model("ledger", "Account")
    for expense in ExpenseRequest.objects.all():
        accounts = Account.objects.filter(business_id=expense.business_id)
        account = (accounts.filter(code=OLD_TO_CODE.get(expense.category, "6000")).first()
                   or accounts.filter(code="6000").first())
        ExpenseRequest.objects.filter(pk=expense.pk).update(category_account=account)


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_initial"),
        ("ledger", "0003_keyed_chain"),
    ]

    operations = [
        migrations.AddField(
            model_name="expenserequest",
            name="category_account",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="ledger.account"),
        ),
        migrations.RunPython(to_accounts, migrations.RunPython.noop),
        migrations.RemoveField(model_name="expenserequest", name="category"),
        migrations.RenameField(model_name="expenserequest", old_name="category_account", new_name="category"),
        migrations.AlterField(
            model_name="expenserequest",
            name="category",
            field=models.ForeignKey(help_text="An expense category (an expense account) of the business.", null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="+", to="ledger.account"),
        ),
    ]
