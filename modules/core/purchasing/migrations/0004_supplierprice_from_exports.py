"""SupplierPrice moves home from exports: purchasing takes over the model on the table exports
created (no row is copied), then the table and its content type take purchasing's names, so
permissions, groups and admin history follow the model."""

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="purchasing", model="supplierprice").exists():
        ContentType.objects.filter(app_label="exports", model="supplierprice").update(app_label="purchasing")


def return_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="exports", model="supplierprice").exists():
        ContentType.objects.filter(app_label="purchasing", model="supplierprice").update(app_label="exports")


class Migration(migrations.Migration):

    dependencies = [
        ('businesses', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('exports', '0003_supplierprice_moves_to_purchasing'),
        ('inventory', '0003_stockcount_stockcountline_transfer'),
        ('purchasing', '0003_supplierbill_category'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='SupplierPrice',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('unit_cost', models.DecimalField(decimal_places=4, max_digits=12, verbose_name='unit cost (KES)')),
                    ('updated_at', models.DateTimeField(auto_now=True)),
                    ('business', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='businesses.business')),
                    ('item', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='supplier_prices', to='inventory.item')),
                    ('supplier', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='prices', to='purchasing.supplier')),
                ],
                options={
                    'db_table': 'exports_supplierprice',
                    'ordering': ['supplier', 'item'],
                    'constraints': [models.UniqueConstraint(fields=('supplier', 'item'), name='one_price_per_supplier_item'), models.CheckConstraint(condition=models.Q(('unit_cost__gte', 0)), name='supplier_price_not_negative')],
                },
            ),
        ]),
        migrations.AlterModelTable(name='supplierprice', table=None),
        migrations.RunPython(move_content_type, return_content_type),
    ]
