"""LPG refills, swaps, outright sales and deposits are sales of the one sale engine: each receipt
recorded before gets its sale (the shop's next receipt numbers; the G-number it was printed with
stays on it), and its payments move to that sale. Deposit returns are refunds: they stay as they are."""

import django.db.models.deletion
from django.db import migrations, models

from modules.core.sales.historical import LegacySales

CYLINDER_DEPOSITS = "2110"


def to_sales(apps, schema_editor):
    LpgSale = apps.get_model("shop", "LpgSale")
    legacy = LegacySales(apps, "shop", "lpgsale")
    for lpg in (LpgSale.objects.exclude(kind="return").filter(sale__isnull=True)
                .select_related("cylinder_type__full_item", "cylinder_type").order_by("created_at", "pk")):
        full = lpg.cylinder_type.full_item
        lines = [(full.pk, "", lpg.quantity, lpg.gas / lpg.quantity, lpg.gas, "")]
        if lpg.swap_fee:
            lines.append((None, f"Brand swap fee, {lpg.cylinder_type.size_kg} kg", lpg.quantity,
                          lpg.swap_fee / lpg.quantity, lpg.swap_fee, ""))
        if lpg.deposit:
            lines.append((None, "Cylinder deposit", lpg.quantity, lpg.deposit / lpg.quantity, lpg.deposit,
                          CYLINDER_DEPOSITS))
        sale = legacy.record(lpg, kind="lpg", lines=lines, vat=lpg.vat, total=lpg.total, method=lpg.payment_method,
                             customer_id=lpg.customer_id, paid_at=lpg.paid_at, voided_at=lpg.voided_at,
                             void_reason=lpg.void_reason, void_refund="route", created_by_id=lpg.created_by_id,
                             created_at=lpg.created_at, fingerprint=lpg.fingerprint)
        LpgSale.objects.filter(pk=lpg.pk).update(sale=sale)


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0006_methods'),
        ('sales', '0005_engine'),
        ('shop', '0004_lpgsale_customer'),
    ]

    operations = [
        migrations.AddField(
            model_name='lpgsale',
            name='sale',
            field=models.OneToOneField(blank=True, help_text='The sale (empty for a deposit return, a refund).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sales.sale'),
        ),
        migrations.AlterField(
            model_name='lpgsale',
            name='number',
            field=models.PositiveIntegerField(blank=True, help_text='Receipts before the one sale engine: G-number of their own.', null=True),
        ),
        migrations.RunPython(to_sales, migrations.RunPython.noop),
    ]
