"""What a receipt prints about eTIMS (issue 19 §3; brief §3.1): the seller's KRA PIN, ``SCU ID/invoice
number``, the control unit's date and time, KRA's receipt number, the internal data and the
signature in groups of four, the per-band tax table A–E and the QR code of KRA's receipt check.

Original and COPY (TIS rule: one original, reprints marked "COPY"): the original is the first
print or share of the *signed* receipt (``Invoice.prints`` goes 0 → 1); every later print or share,
and the shop's own screen once the original is out, says COPY. A receipt shown before KRA signed
the sale is a provisional slip that says so; it counts as no print, and the same page or link
becomes the signed receipt when the signature arrives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import segno
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.safestring import mark_safe

from modules.core.tax import services as tax

from .models import Invoice

QR_PATH = "/common/link/etims/receipt/indexEtimsReceiptData"
ZERO = Decimal("0.00")


def qr_url(pin: str, branch: str, signature: str) -> str:
    """KRA's receipt check: ``https://etims[-sbx].kra.go.ke/common/link/etims/receipt/
    indexEtimsReceiptData?Data={PIN}{bhfId}{rcptSign}`` (brief §0.4 and §3.1, Odoo and Navari); the
    host is ``ETIMS_QR_HOST`` (production's in production, the sandbox's otherwise)."""
    return f"https://{settings.ETIMS_QR_HOST}{QR_PATH}?Data={pin}{branch}{signature}"


def qr_svg(url: str) -> str:
    """The QR code as inline SVG (segno, server-side: no script, no image request)."""
    code = segno.make(url, error="m")
    # bandit: segno writes only path data and our constant title; the URL is encoded, never printed
    return mark_safe(code.svg_inline(scale=3, border=2, svgclass="etims-qr", title="KRA eTIMS receipt check"))  # nosec B308 B703


def in_fours(value: str) -> str:
    """``ABCDEFGHIJ`` → ``ABCD-EFGH-IJ``, as Odoo prints the internal data and the signature."""
    return "-".join(value[start:start + 4] for start in range(0, len(value), 4))


@dataclass
class BandRow:
    band: str
    label: str
    percent: Decimal
    total: Decimal = ZERO  # VAT included, after discount (``taxblAmt`` as sent)
    vat: Decimal = ZERO

    @property
    def taxable(self) -> Decimal:
        return self.total - self.vat


@dataclass
class EtimsReceipt:
    invoice: Invoice
    seller_pin: str
    copy: bool
    bands: list[BandRow] = field(default_factory=list)

    @property
    def state(self) -> str:
        """signed, pending or failed."""
        if self.invoice.status == Invoice.Status.SIGNED:
            return "signed"
        return "failed" if self.invoice.status == Invoice.Status.FAILED else "pending"

    @property
    def receipt_number(self) -> str:
        invoice = self.invoice
        return f"{invoice.receipt_number}/{invoice.total_receipts}" if invoice.total_receipts else str(
            invoice.receipt_number or "")

    @property
    def internal_data(self) -> str:
        return in_fours(self.invoice.internal_data)

    @property
    def signature(self) -> str:
        return in_fours(self.invoice.signature)

    @property
    def signed_at(self):
        return timezone.localtime(self.invoice.signed_at) if self.invoice.signed_at else None

    @property
    def qr_url(self) -> str:
        device = self.invoice.device
        return qr_url(device.tin, device.bhf_id, self.invoice.signature) if self.state == "signed" else ""

    @property
    def qr_svg(self) -> str:
        return qr_svg(self.qr_url) if self.state == "signed" else ""

    @property
    def totals(self) -> BandRow:
        return BandRow("", "Total", ZERO, sum((r.total for r in self.bands), ZERO), sum((r.vat for r in self.bands), ZERO))


def band_table(invoice: Invoice) -> list[BandRow]:
    """Bands A–E at the rates of the sale's day, from what was sent to KRA (the invoice's snapshot)."""
    percents = tax.rates(timezone.localdate(invoice.sale.created_at))
    rows = []
    for band in tax.Band:
        sent = invoice.bands.get(band.value, {})
        rows.append(BandRow(band.value, band.label.split(": ", 1)[-1], percents.get(band.value, ZERO),
                            Decimal(sent.get("taxable", "0.00")), Decimal(sent.get("tax", "0.00"))))
    return rows


def for_sale(sale, *, issue: int | None = None) -> EtimsReceipt | None:
    """The sale's eTIMS part of its receipt, or None when it was never declared (eTIMS off).
    ``issue``: which print or share this is (1 is the original); None for the shop's screen."""
    invoice = (Invoice.objects.select_related("device", "sale").filter(sale=sale, kind=Invoice.Kind.SALE).first())
    if invoice is None:
        return None
    device = invoice.device
    seller_pin = device.tin if device else settings.ETIMS_TIN
    copy = (issue > 1) if issue else invoice.prints >= 1
    return EtimsReceipt(invoice=invoice, seller_pin=seller_pin, copy=copy and invoice.status == Invoice.Status.SIGNED,
                        bands=band_table(invoice))


def issue(sale) -> int:
    """A print or share of the receipt: its number (1 = the original, more = a COPY), or 0 for a
    provisional slip (not signed yet, or never declared), which counts as no print."""
    with transaction.atomic():  # two taps at once: one original, one COPY
        invoice = (Invoice.objects.select_for_update().filter(sale=sale, kind=Invoice.Kind.SALE,
                                                              status=Invoice.Status.SIGNED).first())
        if invoice is None:
            return 0
        invoice.prints = F("prints") + 1
        invoice.save(update_fields=["prints"])
        invoice.refresh_from_db(fields=["prints"])
        return invoice.prints
