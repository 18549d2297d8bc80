"""Dev and tests: the simulated KRA holds a supplier's eTIMS sale to the owner's PIN, which
``selectTrnsPurchaseSalesList`` then offers (eTIMS → Supplier invoices from KRA → Fetch)."""

import json
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max
from django.utils import timezone

from modules.core.etims.configuration import KRA_PIN
from modules.core.etims.oscu import DecimalEncoder


class Command(BaseCommand):
    help = "Simulator only: a supplier (its KRA PIN) sells to the owner's PIN for an amount, VAT 16 % included."

    def add_arguments(self, parser):
        parser.add_argument("--supplier-pin", required=True)
        parser.add_argument("--name", default="Demo supplier Ltd")
        parser.add_argument("--amount", required=True, help="KES, VAT included")
        parser.add_argument("--date", default="", help="YYYYMMDD (default today)")

    def handle(self, *args, supplier_pin, name, amount, date, **options):
        if settings.ETIMS_MODE != "simulator":
            raise CommandError("Only with ETIMS_MODE=simulator: a real supplier's invoice comes from KRA.")
        from modules.core.etims.simulator.models import SimSupplierSale

        supplier_pin = supplier_pin.strip().upper()
        if not KRA_PIN.match(supplier_pin):
            raise CommandError(f"{supplier_pin} is not a KRA PIN (a letter, 9 digits and a letter).")
        try:
            total = Decimal(amount).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise CommandError(f"{amount} is not an amount.") from None
        if total <= 0:
            raise CommandError("The amount must be above 0.")
        number = (SimSupplierSale.objects.filter(spplr_tin=supplier_pin).aggregate(n=Max("spplr_invc_no"))["n"] or 0) + 1
        tax = (total * 16 / 116).quantize(Decimal("0.01"))
        sale = SimSupplierSale.objects.create(
            buyer_tin=settings.ETIMS_TIN, spplr_tin=supplier_pin, spplr_nm=name[:60], spplr_invc_no=number,
            spplr_sdc_id=f"KRACU{supplier_pin[1:10]}", sales_dt=date or timezone.localdate().strftime("%Y%m%d"),
            tot_taxbl_amt=total, tot_tax_amt=tax, tot_amt=total,
            items=json.loads(json.dumps([{"itemSeq": 1, "itemNm": "Goods", "qty": 1, "prc": total, "splyAmt": total,
                                          "taxTyCd": "B", "taxblAmt": total, "taxAmt": tax, "totAmt": total}],
                                        cls=DecimalEncoder)))  # JSON numbers, as KRA sends them
        self.stdout.write(f"KRA now holds {name}'s eTIMS invoice {sale.spplr_sdc_id}/{number} for KES {total:,} "
                          f"to {settings.ETIMS_TIN}.")
