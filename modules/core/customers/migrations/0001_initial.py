import django.core.validators
import django.db.models.deletion
from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('businesses', '0002_business_vat_registered'),
    ]

    operations = [
        migrations.CreateModel(
            name='Customer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(blank=True, max_length=80)),
                ('language', models.CharField(choices=[('en', 'English'), ('sw', 'Kiswahili')], default='en', help_text='For receipts and messages.', max_length=2)),
                ('sms_opt_out', models.BooleanField(default=False, help_text='The customer asked for no text messages.', verbose_name='no SMS')),
                ('credit_limit', models.DecimalField(decimal_places=2, default=Decimal('0'), help_text='Set by the owner: the most this customer may owe on credit sales (deni). 0: no credit.', max_digits=14, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='credit limit (KES)')),
                ('kra_pin', models.CharField(blank=True, max_length=11, validators=[django.core.validators.RegexValidator('^[A-Z][0-9]{9}[A-Z]$', 'A KRA PIN is a letter, 9 digits and a letter, like A123456789Z.')], verbose_name='KRA PIN')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('businesses', models.ManyToManyField(blank=True, help_text='The businesses this customer deals with.', related_name='customers', to='businesses.business')),
            ],
            options={
                'ordering': ['name', 'pk'],
                'permissions': [('set_credit_limit', "Can set a customer's credit limit")],
                'constraints': [models.CheckConstraint(condition=models.Q(('credit_limit__gte', 0)), name='customer_credit_limit_not_negative')],
            },
        ),
        migrations.CreateModel(
            name='CustomerPhone',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('phone', models.CharField(help_text='2547XXXXXXXX', max_length=12, unique=True)),
                ('phone_hash', models.CharField(editable=False, max_length=64, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='phones', to='customers.customer')),
            ],
            options={
                'ordering': ['pk'],
            },
        ),
    ]
