"""What is sent to KRA, built from our own records (etims-brief §2.4, §2.5, §2.7).

**Amount convention** (the brief asks to choose one): KRA's own samples, VAT-inclusive. Our prices
include VAT and ``tax.services`` computes each line's VAT inside its total, so per line
``splyAmt = line total``, ``dcAmt = its discount share``, ``taxblAmt = totAmt = splyAmt − dcAmt`` and
``taxAmt = the line's VAT`` exactly as the sale and the VAT report hold it. Band totals are the sums
of those lines, and all 15 band fields are sent, zeros included, with each band's rate from
``tax.TaxRate`` on the sale's day.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from modules.core.tax import services as tax

from .oscu import NAIROBI, now_stamp

BANDS = "ABCDE"
PAYMENT_TYPES = {"cash": "01", "credit": "02", "split": "07", "mpesa": "06"}  # class 07
REFUND_REASON = "06"  # class 32 "Refund": a void gives everything back
ORIGIN = "KE"
QUANTITY_UNITS = {"kg": "KG", "kilogram": "KG", "l": "L", "litre": "L", "liter": "L", "ltr": "L"}
DEFAULT_CLASS = "99000000"  # "Other goods and services": the owner picks the right class per item


def money(value) -> Decimal:
    return tax.money(value)


def item_code(item) -> str:
    """KRA's shape: origin, type, packaging unit, quantity unit, sequence (≤ 20 characters)."""
    kind, package, unit = item_kind(item)
    return f"{ORIGIN}{kind}{package}{unit}{item.pk:07d}"[:20]


def item_kind(item) -> tuple[str, str, str]:
    """(itemTyCd, pkgUnitCd, qtyUnitCd): stock is a finished product (2) in its net unit, anything
    else a service (3, "OU" as Odoo does)."""
    unit = QUANTITY_UNITS.get((item.unit or "").strip().lower(), "U")
    return ("2", "NT", unit) if item.tracks_stock else ("3", "OU", unit)


def item_band(item) -> str:
    return item.tax_band if item.business.vat_registered else tax.Band.NON_VAT


def save_item(registration, user_name: str = "system") -> dict:
    item = registration.item
    kind, package, unit = item_kind(item)
    return {"itemCd": registration.code, "itemClsCd": registration.class_code, "itemTyCd": kind,
            "itemNm": item.name[:200], "itemStdNm": None, "orgnNatCd": ORIGIN, "pkgUnitCd": package,
            "qtyUnitCd": unit, "taxTyCd": item_band(item), "btchNo": None, "bcd": None,
            "dftPrc": money(item.selling_price), "grpPrcL1": None, "grpPrcL2": None, "grpPrcL3": None,
            "grpPrcL4": None, "grpPrcL5": None, "addInfo": None, "sftyQty": None, "isrcAplcbYn": "N",
            "useYn": "Y" if item.is_active else "N", "regrId": user_name[:20], "regrNm": user_name[:60],
            "modrId": user_name[:20], "modrNm": user_name[:60]}


def sold_lines(sale):
    """The lines that are supplies (a refundable deposit on a line with an ``account`` is not)."""
    return [line for line in sale.lines.select_related("item", "item__etims").order_by("pk")
            if not getattr(line, "account", "") and line.item_id]


def bands_of(sale) -> dict[str, dict[str, str]]:
    """Per band: taxable (VAT included, after discount) and tax, the sums of the rounded lines."""
    found: dict[str, list[Decimal]] = {}
    for line in sold_lines(sale):
        taxable, vat = line.line_total - line.discount, line.vat
        sums = found.setdefault(line.band, [Decimal(0), Decimal(0)])
        sums[0] += taxable
        sums[1] += vat
    return {band: {"taxable": str(money(t)), "tax": str(money(v))} for band, (t, v) in sorted(found.items())}


def trade_reference(invoice) -> str:
    """Our own document number, sent as ``trdInvcNo`` and used to recognise an invoice on re-read."""
    suffix = "-CN" if invoice.kind == "R" else ""
    return f"{invoice.business.code[:20]}-{invoice.sale.number}{suffix}"


def sale(invoice, user_name: str = "system") -> dict:
    """``saveTrnsSalesOsdc`` for an invoice (S) or a whole-sale credit note (R)."""
    sale_ = invoice.sale
    sold_at = timezone.localtime(sale_.created_at, NAIROBI)
    percents = tax.rates(sold_at.date())
    rows, bands = [], {band: [Decimal(0), Decimal(0)] for band in BANDS}
    for seq, line in enumerate(sold_lines(sale_), 1):
        registration = line.item.etims
        kind, package, unit = item_kind(line.item)
        supply, discount = money(line.line_total), money(line.discount)
        taxable = supply - discount
        rows.append({
            "itemSeq": seq, "itemCd": registration.code, "itemClsCd": registration.class_code,
            "itemNm": line.item.name[:200], "bcd": None, "pkgUnitCd": package, "pkg": line.quantity,
            "qtyUnitCd": unit, "qty": line.quantity, "prc": money(supply / line.quantity), "splyAmt": supply,
            "dcRt": money(discount * 100 / supply) if supply else Decimal("0.00"), "dcAmt": discount,
            "isrccCd": None, "isrccNm": None, "isrcRt": None, "isrcAmt": None, "taxTyCd": line.band,
            "taxblAmt": taxable, "taxAmt": money(line.vat), "totAmt": taxable})
        bands[line.band][0] += taxable
        bands[line.band][1] += money(line.vat)
    customer = sale_.customer
    payload = {
        "invcNo": invoice.number, "orgInvcNo": invoice.original.number if invoice.original_id else 0,
        "trdInvcNo": trade_reference(invoice), "custTin": invoice.customer_pin or None,
        "custNm": invoice.customer_name or None, "rcptTyCd": invoice.kind, "pmtTyCd": PAYMENT_TYPES.get(
            sale_.payment_method, "07"), "salesSttsCd": "02", "salesTyCd": "N",
        "cfmDt": now_stamp(), "salesDt": (timezone.localtime(sale_.voided_at, NAIROBI) if invoice.kind == "R"
                                          and sale_.voided_at else sold_at).strftime("%Y%m%d"),
        "stockRlsDt": None, "cnclReqDt": None, "cnclDt": None, "rfdDt": None, "rfdRsnCd": None,
        "totItemCnt": len(rows), "prchrAcptcYn": "N", "remark": None,
        "regrId": user_name[:20], "regrNm": user_name[:60], "modrId": user_name[:20], "modrNm": user_name[:60],
        "receipt": {"custTin": invoice.customer_pin or None,
                    "custMblNo": (customer.primary_phone or None) if customer else None,
                    "rcptPbctDt": now_stamp(), "trdeNm": sale_.business.name[:20], "adrs": None,
                    "topMsg": sale_.business.name, "btmMsg": "Thank you", "prchrAcptcYn": "N"},
        "itemList": rows,
    }
    for band in BANDS:
        payload[f"taxblAmt{band}"] = money(bands[band][0])
        payload[f"taxRt{band}"] = money(percents.get(band, 0))
        payload[f"taxAmt{band}"] = money(bands[band][1])
    payload["totTaxblAmt"] = sum((payload[f"taxblAmt{b}"] for b in BANDS), Decimal("0.00"))
    payload["totTaxAmt"] = sum((payload[f"taxAmt{b}"] for b in BANDS), Decimal("0.00"))
    payload["totAmt"] = sum((row["totAmt"] for row in rows), Decimal("0.00"))
    if invoice.kind == "R":
        refunded = sale_.voided_at or timezone.now()
        payload.update(rfdDt=now_stamp(refunded), rfdRsnCd=REFUND_REASON)
    return payload


def stock_io(invoice, sar_no: int, user_name: str = "system") -> dict | None:
    """``insertStockIO`` for what a signed sale took out (11 Sale) or a credit note put back (03
    Return); None when nothing of it is stock."""
    rows = []
    for line in sold_lines(invoice.sale):
        if not line.item.tracks_stock:
            continue
        kind, package, unit = item_kind(line.item)
        supply = money(line.line_total)
        rows.append({"itemSeq": len(rows) + 1, "itemCd": line.item.etims.code, "itemClsCd": line.item.etims.class_code,
                     "itemNm": line.item.name[:200], "bcd": None, "pkgUnitCd": package, "pkg": line.quantity,
                     "qtyUnitCd": unit, "qty": line.quantity, "itemExprDt": None, "prc": money(supply / line.quantity),
                     "splyAmt": supply, "totDcAmt": money(line.discount), "taxblAmt": supply - money(line.discount),
                     "taxTyCd": line.band, "taxAmt": money(line.vat), "totAmt": supply - money(line.discount)})
    if not rows:
        return None
    when = timezone.localtime(invoice.sale.voided_at if invoice.kind == "R" and invoice.sale.voided_at
                              else invoice.sale.created_at, NAIROBI)
    return {"sarNo": sar_no, "orgSarNo": 0, "regTyCd": "A", "custTin": invoice.customer_pin or None,
            "custNm": invoice.customer_name or None, "custBhfId": None,
            "sarTyCd": "03" if invoice.kind == "R" else "11", "ocrnDt": when.strftime("%Y%m%d"),
            "totItemCnt": len(rows), "totTaxblAmt": sum((r["taxblAmt"] for r in rows), Decimal("0.00")),
            "totTaxAmt": sum((r["taxAmt"] for r in rows), Decimal("0.00")),
            "totAmt": sum((r["totAmt"] for r in rows), Decimal("0.00")), "remark": None,
            "regrId": user_name[:20], "regrNm": user_name[:60], "modrId": user_name[:20], "modrNm": user_name[:60],
            "itemList": rows}
