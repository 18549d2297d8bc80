"""Transfer requests move home from approvals: the model is declared here over the existing table
(no data moves), the table is renamed to inventory's name, and the content type (so approval
requests, permissions and admin history that point at it) becomes inventory's."""

import django.core.validators
import django.db.models.deletion
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


def content_type_to(app_label, other):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        if not ContentType.objects.using(db).filter(app_label=app_label, model="transferrequest").exists():
            ContentType.objects.using(db).filter(app_label=other, model="transferrequest").update(app_label=app_label)
    return move


class Migration(migrations.Migration):

    dependencies = [
        ("approvals", "0004_transferrequest_moves_to_inventory"),
        ("businesses", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("inventory", "0007_pricechangerequest"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name="TransferRequest",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                               verbose_name="ID")),
                    ("quantity", models.DecimalField(decimal_places=3, max_digits=12, validators=[
                        django.core.validators.MinValueValidator(Decimal("0.001"))])),
                    ("value", models.DecimalField(decimal_places=2, default=0, max_digits=14,
                                                  verbose_name="value at cost (KES)")),
                    ("note", models.CharField(blank=True, max_length=120)),
                    ("status", models.CharField(choices=[("pending", "Waiting for approval"),
                                                         ("done", "Approved and moved"), ("rejected", "Rejected"),
                                                         ("cancelled", "Cancelled")], default="pending",
                                                max_length=10)),
                    ("created_at", models.DateTimeField(auto_now_add=True)),
                    ("business", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                   related_name="transfer_requests", to="businesses.business")),
                    ("from_location", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                        related_name="+", to="inventory.location")),
                    ("item", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                               to="inventory.item")),
                    ("requested_by", models.ForeignKey(blank=True, null=True,
                                                       on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                       to=settings.AUTH_USER_MODEL)),
                    ("to_location", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                      to="inventory.location")),
                    ("transfer", models.OneToOneField(blank=True, null=True,
                                                      on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                      to="inventory.transfer")),
                ],
                options={
                    "ordering": ["-created_at"],
                    "db_table": "approvals_transferrequest",
                    "constraints": [models.CheckConstraint(condition=models.Q(("quantity__gt", 0)),
                                                           name="transfer_request_quantity_positive")],
                },
            ),
        ]),
        migrations.AlterModelTable(name="transferrequest", table=None),  # -> inventory_transferrequest
        migrations.RunPython(content_type_to("inventory", "approvals"), content_type_to("approvals", "inventory")),
    ]
