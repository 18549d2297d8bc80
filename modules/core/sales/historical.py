"""For data migrations: turn a document a module recorded before the one sale engine (a laundry
job, an LPG receipt) into the sale it should have been, with the migration's historical models.

The sale takes the business's next receipt number (the one counter), the document's lines, VAT
(spread over its lines to the cent, so the books do not move), customer, dates and status; the
payments and M-Pesa requests made for the document move to the sale, which is what payments are
for from now on. The ledger entries stay as they were posted (their source is part of the hash
chain); the engine finds them through ``sale.document``."""

import uuid as uuid_module
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def spread(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``total`` over the weights, each part to the cent, the largest weight taking the remainder."""
    if not total or not sum(weights):
        return [Decimal("0.00")] * len(weights)
    parts = [(total * w / sum(weights)).quantize(CENT, rounding=ROUND_HALF_UP) for w in weights]
    largest = max(range(len(weights)), key=lambda i: weights[i])
    parts[largest] += total - sum(parts)
    return parts


class LegacySales:
    def __init__(self, apps, app_label: str, model: str):
        self.Sale = apps.get_model("sales", "Sale")
        self.SaleLine = apps.get_model("sales", "SaleLine")
        self.Counter = apps.get_model("sales", "SaleCounter")
        self.Location = apps.get_model("inventory", "Location")
        ContentType = apps.get_model("contenttypes", "ContentType")
        self.document_type = ContentType.objects.get_or_create(app_label=app_label, model=model)[0]
        self.sale_type = ContentType.objects.get_or_create(app_label="sales", model="sale")[0]
        self.payments = [apps.get_model("payments", name) for name in ("Payment", "StkRequest")]

    def record(self, document, *, kind, lines, vat, total, method, customer_id, paid_at=None, voided_at=None,
               void_reason="", void_refund="", created_by_id=None, created_at=None, fingerprint="legacy"):
        """``lines``: (item_id or None, description, quantity, unit_price, line_total, account) tuples."""
        counter, _ = self.Counter.objects.get_or_create(business_id=document.business_id)
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
        location = (self.Location.objects.filter(business_id=document.business_id, is_default=True).first()
                    or self.Location.objects.get_or_create(business_id=document.business_id, name="Shop floor",
                                                           defaults={"is_default": True})[0])
        uuid = getattr(document, "client_uuid", None)
        if uuid is None or self.Sale.objects.filter(client_uuid=uuid).exists():
            uuid = uuid_module.uuid4()
        revenue = [line for line in lines if not line[5]]
        vats = spread(Decimal(vat), [Decimal(line[4]) for line in revenue])
        sale = self.Sale.objects.create(
            business_id=document.business_id, number=counter.last_number, client_uuid=uuid,
            fingerprint=fingerprint[:64], customer_id=customer_id, location=location,
            subtotal=sum((Decimal(line[4]) for line in lines), Decimal("0")), discount=0, vat=vat, total=total,
            payment_method=method[:6], kind=kind, document_type=self.document_type, document_id=str(document.pk),
            created_by_id=created_by_id, paid_at=paid_at, voided_at=voided_at, void_reason=void_reason[:120],
            void_refund=void_refund if voided_at else "",
            status="voided" if voided_at else "completed")
        self.Sale.objects.filter(pk=sale.pk).update(created_at=created_at or sale.created_at)
        taxed = iter(vats)
        self.SaleLine.objects.bulk_create([
            self.SaleLine(sale=sale, item_id=item_id, description=description[:120], quantity=quantity,
                          unit_price=unit_price, line_total=line_total, band="D" if account else "B",
                          vat=Decimal("0") if account else next(taxed), account=account)
            for item_id, description, quantity, unit_price, line_total, account in lines])
        for model in self.payments:
            model.objects.filter(document_type=self.document_type, document_id=str(document.pk)).update(
                document_type=self.sale_type, document_id=str(sale.pk))
        return sale
