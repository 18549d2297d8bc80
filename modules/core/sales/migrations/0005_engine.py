"""The one sale engine: a sale knows what sold it (kind) and the module's record behind it
(document); a line may be a charge that is not an item (a swap fee) or a refundable deposit."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('customers', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('inventory', '0005_item_tax_band'),
        ('sales', '0004_tax_bands'),
    ]

    operations = [
        migrations.AddField(
            model_name='sale',
            name='kind',
            field=models.CharField(default='quick', help_text='What sold it: the quick sale, a laundry job, LPG, a delivery…', max_length=20),
        ),
        migrations.AddField(
            model_name='sale',
            name='document_type',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='contenttypes.contenttype'),
        ),
        migrations.AddField(
            model_name='sale',
            name='document_id',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='saleline',
            name='description',
            field=models.CharField(blank=True, max_length=120),
        ),
        migrations.AddField(
            model_name='saleline',
            name='account',
            field=models.CharField(blank=True, help_text="A deposit's liability account; empty: revenue.", max_length=10),
        ),
        migrations.AddField(
            model_name='sale',
            name='void_refund',
            field=models.CharField(blank=True, help_text='How a void gave back what was paid: route, cash or credit.', max_length=6),
        ),
        migrations.CreateModel(
            name='CreditRefund',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14)),
                ('method', models.CharField(choices=[('cash', 'Cash'), ('mpesa', 'M-Pesa'), ('bank', 'Bank transfer')], max_length=5)),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('business', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='businesses.business')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='credit_refunds', to='customers.customer')),
            ],
            options={
                'ordering': ['-created_at'],
                'constraints': [models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='credit_refund_positive')],
            },
        ),
        migrations.AddIndex(
            model_name='sale',
            index=models.Index(condition=models.Q(('customer__isnull', False), ('paid_at__isnull', True)), fields=['customer', 'created_at'], name='sale_open_on_account'),
        ),
        migrations.AddIndex(
            model_name='sale',
            index=models.Index(fields=['document_type', 'document_id'], name='sale_document'),
        ),
        migrations.AlterField(
            model_name='saleline',
            name='item',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='inventory.item'),
        ),
    ]
