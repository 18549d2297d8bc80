"""KRA's OSCU API, simulated (etims-brief §6): the same paths, headers and envelope, the validation
rules KRA and the TIS spec publish, and fault injection (``SimFaults``, ``SimQueuedFault``).

Rules the published sources do not state are marked **assumed** here and in the README; they keep
the client honest without inventing behaviour we rely on. Everything is answered HTTP 200 with a
result code, as KRA does, except injected 5xx faults and an outage (503, no envelope).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import secrets
import time
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from ..oscu import NAIROBI, DecimalEncoder, now_stamp
from . import reference
from .models import (SimDevice, SimFaults, SimInvoice, SimItem, SimPurchase, SimQueuedFault, SimStockIO,
                     SimStockMaster, SimSupplierSale)

CENT = Decimal("0.01")
BANDS = "ABCDE"
SALES = "saveTrnsSalesOsdc"


class Refused(Exception):
    """Answer with this result code and message (nothing is stored)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def envelope(code: str, message: str, data=None) -> JsonResponse:
    """KRA's envelope; amounts as JSON numbers, as KRA sends them (Django's encoder would send strings)."""
    return JsonResponse({"resultCd": code, "resultMsg": message, "resultDt": now_stamp(), "data": data},
                        encoder=DecimalEncoder)


def hang_seconds() -> float:
    """How long a 'timeout' hangs: past the client's own timeout."""
    return float(getattr(settings, "ETIMS_SIMULATOR_HANG_SECONDS", settings.ETIMS_HTTP_TIMEOUT + 1.5))


def _draw_fault(path: str) -> str | None:
    """The fault this call gets, if any: a queued one first, else drawn from the rates."""
    with transaction.atomic():
        queued = (SimQueuedFault.objects.select_for_update(skip_locked=True)
                  .filter(path__in=("", path)).order_by("pk").first())
        if queued is not None:
            queued.delete()
            return queued.kind
        faults = SimFaults.objects.filter(pk=1).first()
        if faults is None:
            return None
        if faults.down_until and faults.down_until > timezone.now():
            return "down"
        if path != SALES and not faults.all_paths:
            return None
        SimFaults.objects.filter(pk=1).update(calls=F("calls") + 1)
        faults.refresh_from_db(fields=["calls"])
    draw = random.Random(f"{faults.seed}:{faults.calls}").random()
    for kind, rate in (("timeout", faults.rate_timeout), ("lost_answer", faults.rate_lost_answer),
                       ("990", faults.rate_990), ("994", faults.rate_994), ("5xx", faults.rate_5xx)):
        if draw < rate:
            return kind
        draw -= rate
    return None


def oscu(needs_key: bool = True):
    """Reads the JSON body and the headers, injects faults, turns Refused into its envelope."""

    def decorate(view):
        path = view.__name__ if view.__name__ != "save_sales" else SALES

        @csrf_exempt
        @wraps(view)
        def wrapper(request):
            fault = _draw_fault(path)
            if fault == "down":
                return HttpResponse("Service Unavailable", status=503, content_type="text/plain")
            if fault == "timeout":
                time.sleep(hang_seconds())
                return envelope("999", "The request timed out")
            if fault == "5xx":
                return HttpResponse("Internal Server Error", status=500, content_type="text/plain")
            if fault in ("990", "994", "910"):
                return envelope(fault, {"990": "The maximum number of views are exceeded",
                                        "994": "There is an overlapped Data",
                                        "910": "Request parameter error (injected)"}[fault])
            if request.method != "POST":
                return envelope("912", "Request method error: use POST")
            if not request.body:
                return envelope("911", "There is no request body")
            try:
                body = json.loads(request.body, parse_float=Decimal)
            except (ValueError, UnicodeDecodeError):
                return envelope("910", "Request parameter error: the body is not JSON")
            if not isinstance(body, dict):
                return envelope("910", "Request parameter error: the body must be a JSON object")
            try:
                device = _device(request, needs_key)
                data = view(request, body, device)
            except Refused as refused:
                return envelope(refused.code, refused.message)
            if data is None:
                return envelope("001", "There is no search result")
            response = envelope("000", "It is succeeded", data or None)
            if fault == "lost_answer":  # stored, then the answer never arrives in time
                time.sleep(hang_seconds())
            return response

        return wrapper

    return decorate


def _device(request, needs_key: bool) -> SimDevice | None:
    tin, bhf_id = request.headers.get("tin", ""), request.headers.get("bhfId", "")
    if not needs_key:
        return None
    key = request.headers.get("cmcKey", "")
    if not (tin and bhf_id and key):
        raise Refused("900", "There is no header information (tin, bhfId, cmcKey)")
    device = SimDevice.objects.filter(tin=tin, bhf_id=bhf_id, installed_at__isnull=False).first()
    # assumed: a wrong cmcKey is answered like a missing header (900)
    if device is None or not secrets.compare_digest(device.cmc_key, key):
        raise Refused("900", "The header information is not valid (tin, bhfId, cmcKey)")
    return device


# --- fields ----------------------------------------------------------------------------------------

def _text(body, name, *, max_length, required=True) -> str:
    value = body.get(name)
    if value in (None, ""):
        if required:
            raise Refused("910", f"Request parameter error: {name} is required")
        return ""
    value = str(value)
    if len(value) > max_length:
        raise Refused("910", f"Request parameter error: {name} is longer than {max_length}")
    return value


def _integer(body, name) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or Decimal(value) != int(value) or value < 0:
        raise Refused("910", f"Request parameter error: {name} must be a whole number")
    return int(value)


def _amount(body, name) -> Decimal:
    value = body.get(name)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise Refused("910", f"Request parameter error: {name} must be a number") from None
    if not number.is_finite() or number < 0:
        raise Refused("910", f"Request parameter error: {name} must be 0 or more")
    return number


def _stamp(body, name, fmt, *, required=True) -> datetime | None:
    value = body.get(name)
    if value in (None, "") and not required:
        return None
    try:
        return datetime.strptime(str(value), fmt).replace(tzinfo=NAIROBI)
    except ValueError:
        raise Refused("910", f"Request parameter error: {name} must be a date like {fmt}") from None


def _near(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= CENT


def _since(body) -> datetime:
    return _stamp(body, "lastReqDt", "%Y%m%d%H%M%S")


# --- device and reference data ---------------------------------------------------------------------

def approve(tin: str, bhf_id: str, serial: str, name: str = "Biashara demo taxpayer") -> SimDevice:
    """The KRA portal step: the taxpayer's service request for this serial is approved."""
    device, _ = SimDevice.objects.get_or_create(
        tin=tin, bhf_id=bhf_id, defaults={"serial": serial, "taxpayer_name": name,
                                          "sdc_id": f"KRACU0{secrets.randbelow(10**8):08d}",
                                          "mrc_no": f"WIS0{secrets.randbelow(10**8):08d}"})
    return device


@oscu(needs_key=False)
def selectInitOsdcInfo(request, body, device):  # noqa: N802  (KRA's endpoint names)
    tin, bhf_id = _text(body, "tin", max_length=11), _text(body, "bhfId", max_length=2)
    serial = _text(body, "dvcSrlNo", max_length=100)
    configured = (settings.ETIMS_TIN, settings.ETIMS_BHF_ID, settings.ETIMS_DEVICE_SERIAL)
    if (tin, bhf_id, serial) == configured:  # the dev/test device counts as approved in KRA's portal
        approve(tin, bhf_id, serial)
    with transaction.atomic():
        device = SimDevice.objects.select_for_update().filter(tin=tin, bhf_id=bhf_id, serial=serial).first()
        if device is None:
            raise Refused("901", "It is not valid device")
        if device.installed_at is not None:
            raise Refused("902", "This device is installed")
        device.cmc_key = secrets.token_hex(32).upper()
        device.installed_at = timezone.now()
        device.save(update_fields=["cmc_key", "installed_at"])
    return {"info": {"tin": tin, "taxprNm": device.taxpayer_name, "bsnsActv": None, "bhfId": bhf_id,
                     "bhfNm": "Headquarter", "bhfOpenDt": "20240101", "prvncNm": "NAIROBI", "dstrtNm": "WESTLANDS",
                     "sctrNm": "PARKLANDS", "locDesc": "", "hqYn": "Y", "mgrNm": "", "mgrTelNo": "",
                     "mgrEmail": "", "dvcId": f"{device.pk:015d}", "sdcId": device.sdc_id, "mrcNo": device.mrc_no,
                     "cmcKey": device.cmc_key}}


@oscu()
def selectCodeList(request, body, device):  # noqa: N802
    _since(body)
    return {"clsList": [{"cdCls": cls, "cdClsNm": name, "useYn": "Y",
                         "dtlList": [{"cd": cd, "cdNm": cd_name, "userDfnCd1": extra, "useYn": "Y", "srtOrd": n}
                                     for n, (cd, cd_name, extra) in enumerate(rows, 1)]}
                        for cls, (name, rows) in reference.CODE_CLASSES.items()]}


@oscu()
def selectItemClsList(request, body, device):  # noqa: N802
    _since(body)
    return {"itemClsList": [{"itemClsCd": code, "itemClsNm": name, "itemClsLvl": level, "taxTyCd": band,
                             "mjrTgYn": "N", "useYn": "Y"}
                            for code, (name, level, band) in reference.ITEM_CLASSES.items()]}


@oscu()
def selectCustomer(request, body, device):  # noqa: N802
    pin = _text(body, "custmTin", max_length=11).upper()
    found = reference.TAXPAYERS.get(pin)
    if found is None:
        return None
    name, status, county, place = found
    return {"custList": [{"tin": pin, "taxprNm": name, "taxprSttsCd": status, "prvncNm": county.upper(),
                          "dstrtNm": place.upper(), "sctrNm": "", "locDesc": ""}]}


@oscu()
def saveItem(request, body, device):  # noqa: N802
    code = _text(body, "itemCd", max_length=20)
    for name, length in (("itemClsCd", 10), ("itemTyCd", 5), ("itemNm", 200), ("orgnNatCd", 5),
                         ("pkgUnitCd", 5), ("qtyUnitCd", 5), ("taxTyCd", 5), ("useYn", 1)):
        _text(body, name, max_length=length)
    if body["taxTyCd"] not in reference.TAX_TYPES:
        raise Refused("910", "Request parameter error: taxTyCd must be one of A, B, C, D, E")
    if body["itemClsCd"] not in reference.ITEM_CLASSES:  # assumed: an unknown class is a parameter error
        raise Refused("910", f"Request parameter error: itemClsCd {body['itemClsCd']} is not in the class list")
    if body["itemTyCd"] not in reference.codes("24"):
        raise Refused("910", "Request parameter error: itemTyCd must be 1, 2 or 3")
    _amount(body, "dftPrc")
    SimItem.objects.update_or_create(device=device, item_cd=code,
                                     defaults={"payload": json.loads(json.dumps(body, default=str)),
                                               "updated_at": timezone.now()})
    return {}


@oscu()
def selectItemList(request, body, device):  # noqa: N802
    since = _since(body)
    items = [item.payload for item in device.items.filter(updated_at__gt=since).order_by("pk")]
    return {"itemList": items} if items else None


# --- sales ------------------------------------------------------------------------------------------

def _check_lines(body, device) -> tuple[dict, Decimal]:
    """Per line, per band and in total, to 0.01 (brief §2.4 and §6). Two amount conventions are
    accepted (*assumed*: KRA's samples are VAT-inclusive, Odoo and Navari exclusive): inclusive
    (``totAmt = taxblAmt``, ``taxAmt = taxblAmt·r/(100+r)``) or exclusive (``totAmt = taxblAmt + taxAmt``,
    ``taxAmt = taxblAmt·r/100``); one sale uses one. A line's tax may miss its rate by a cent of
    rounding; the band and grand totals are sums of cent amounts, so they must match exactly."""
    lines = body.get("itemList")
    if not isinstance(lines, list) or not lines:
        raise Refused("910", "Request parameter error: itemList must list at least one item")
    if _integer(body, "totItemCnt") != len(lines):
        raise Refused("910", "Request parameter error: totItemCnt is not the number of items")
    registered = set(device.items.values_list("item_cd", flat=True))
    bands = {band: [Decimal(0), Decimal(0)] for band in BANDS}
    conventions, total = set(), Decimal(0)
    for seq, line in enumerate(lines, 1):
        if not isinstance(line, dict):
            raise Refused("910", f"Request parameter error: item {seq} is not an object")
        if _integer(line, "itemSeq") != seq:
            raise Refused("910", f"Request parameter error: itemSeq {seq} is out of order")
        code = _text(line, "itemCd", max_length=20)
        if code not in registered:  # assumed code: Paybill claims 500/910 for an unregistered item
            raise Refused("910", f"Request parameter error: item {code} is not registered (saveItem first)")
        _text(line, "itemNm", max_length=200)
        band = _text(line, "taxTyCd", max_length=1)
        if band not in reference.TAX_TYPES:
            raise Refused("910", f"Request parameter error: taxTyCd {band!r} of item {seq}")
        qty, prc = _amount(line, "qty"), _amount(line, "prc")
        supply, discount = _amount(line, "splyAmt"), _amount(line, "dcAmt")
        taxable, tax, line_total = _amount(line, "taxblAmt"), _amount(line, "taxAmt"), _amount(line, "totAmt")
        if qty <= 0:
            raise Refused("910", f"Request parameter error: qty of item {seq} must be more than 0")
        # assumed tolerance: a price rounded to the cent may miss qty × prc by half a cent per unit
        if abs(qty * prc - supply) > max(CENT, qty * CENT / 2):
            raise Refused("910", f"Request parameter error: splyAmt of item {seq} is not qty × prc")
        if not _near(supply - discount, taxable):
            raise Refused("910", f"Request parameter error: item {seq}: splyAmt − dcAmt ≠ taxblAmt")
        rate = reference.TAX_TYPES[band][1]
        if _near(line_total, taxable) and _near(tax, taxable * rate / (100 + rate)):
            conventions.add("inclusive")
        elif _near(line_total, taxable + tax) and _near(tax, taxable * rate / 100):
            conventions.add("exclusive")
        else:
            raise Refused("910", f"Request parameter error: item {seq}: taxAmt/totAmt do not match taxblAmt "
                                 f"at {rate} % (band {band})")
        bands[band][0] += taxable
        bands[band][1] += tax
        total += line_total
    if len(conventions) > 1:
        raise Refused("910", "Request parameter error: lines mix VAT-inclusive and exclusive amounts")
    for band in BANDS:
        if _amount(body, f"taxblAmt{band}") != bands[band][0]:
            raise Refused("910", f"Request parameter error: taxblAmt{band} is not the sum of its items")
        if _amount(body, f"taxAmt{band}") != bands[band][1]:
            raise Refused("910", f"Request parameter error: taxAmt{band} is not the sum of its items")
        if bands[band][0] and _amount(body, f"taxRt{band}") != reference.TAX_TYPES[band][1]:
            raise Refused("910", f"Request parameter error: taxRt{band} is not the rate of band {band}")
    if _amount(body, "totTaxblAmt") != sum((_amount(body, f"taxblAmt{b}") for b in BANDS), Decimal(0)):
        raise Refused("910", "Request parameter error: totTaxblAmt is not the sum of the bands")
    if _amount(body, "totTaxAmt") != sum((_amount(body, f"taxAmt{b}") for b in BANDS), Decimal(0)):
        raise Refused("910", "Request parameter error: totTaxAmt is not the sum of the bands")
    if _amount(body, "totAmt") != total:
        raise Refused("910", "Request parameter error: totAmt is not the sum of the items")
    return bands, _amount(body, "totAmt")


def _signature(device, number: int, body: dict) -> tuple[str, str]:
    """26 characters of internal data and a 16-character signature (shape as KRA's samples; the real
    ones are KRA's own cryptography, which no source documents)."""
    digest = hashlib.sha256(f"{device.sdc_id}:{number}:{json.dumps(body, sort_keys=True, default=str)}".encode())
    text = digest.hexdigest().upper()
    intrl = base64.b32encode(digest.digest()).decode()[:26]
    return intrl, text[:16]


@oscu()
def save_sales(request, body, device):
    number = _integer(body, "invcNo")
    original_number = _integer(body, "orgInvcNo")
    kind = _text(body, "rcptTyCd", max_length=1)
    if kind not in reference.codes("37"):
        raise Refused("910", "Request parameter error: rcptTyCd must be S or R")
    trade = _text(body, "trdInvcNo", max_length=50, required=False)
    customer = _text(body, "custTin", max_length=11, required=False).upper()
    _text(body, "custNm", max_length=60, required=False)
    if _text(body, "salesTyCd", max_length=1) not in reference.codes("14"):
        raise Refused("910", "Request parameter error: salesTyCd")
    if _text(body, "pmtTyCd", max_length=2) not in reference.codes("07"):
        raise Refused("910", "Request parameter error: pmtTyCd is not a payment type (class 07)")
    if _text(body, "salesSttsCd", max_length=2) not in reference.codes("11"):
        raise Refused("910", "Request parameter error: salesSttsCd is not a sale status (class 11)")
    _stamp(body, "cfmDt", "%Y%m%d%H%M%S")
    sold_on = _stamp(body, "salesDt", "%Y%m%d")
    if sold_on.date() > timezone.localtime(timezone.now(), NAIROBI).date():
        raise Refused("910", "Request parameter error: salesDt is in the future")
    _, total = _check_lines(body, device)
    with transaction.atomic():
        device = SimDevice.objects.select_for_update().get(pk=device.pk)
        if device.invoices.filter(invc_no=number).exists():
            raise Refused("994", "There is an overlapped Data")
        if number != device.last_invoice_no + 1:  # assumed code: the brief's rule, KRA's code for it unknown
            raise Refused("910", f"Request parameter error: invcNo must be {device.last_invoice_no + 1} "
                                 f"(gapless, ascending per branch)")
        if kind == "R":
            _check_credit_note(body, device, original_number, customer, total, sold_on)
        elif original_number != 0:
            raise Refused("910", "Request parameter error: orgInvcNo must be 0 on a sale")
        if kind == "S":
            device.receipts_s += 1
        else:
            device.receipts_r += 1
        device.receipts_total += 1
        device.last_invoice_no = number
        device.save(update_fields=["receipts_s", "receipts_r", "receipts_total", "last_invoice_no"])
        intrl, sign = _signature(device, number, body)
        try:
            invoice = SimInvoice.objects.create(
                device=device, invc_no=number, rcpt_ty_cd=kind, org_invc_no=original_number, trd_invc_no=trade,
                cust_tin=customer, sales_dt=body["salesDt"], tot_amt=total,
                payload=json.loads(json.dumps(body, default=str)),
                cur_rcpt_no=device.receipts_s if kind == "S" else device.receipts_r,
                tot_rcpt_no=device.receipts_total, intrl_data=intrl, rcpt_sign=sign, sdc_date_time=now_stamp())
        except IntegrityError:
            raise Refused("994", "There is an overlapped Data") from None
    return invoice.receipt()


def _check_credit_note(body, device, original_number, customer, total, sold_on):
    """TIS rules (brief §3.2): the original exists and was a sale, the buyer's PIN is the original's,
    every credit note together stays within the original's total, a reason is given, and the date is
    not before the original's (the last three are enforced by the TIS per Odoo; the simulator checks
    them too: assumed)."""
    original = device.invoices.filter(invc_no=original_number, rcpt_ty_cd="S").first()
    if original is None:
        raise Refused("910", f"Request parameter error: orgInvcNo {original_number} is not a sale of this branch")
    if customer != original.cust_tin:
        raise Refused("910", "Request parameter error: custTin differs from the original invoice's")
    if _text(body, "rfdRsnCd", max_length=2) not in reference.codes("32"):
        raise Refused("910", "Request parameter error: rfdRsnCd is not a refund reason (class 32)")
    credited = device.invoices.filter(rcpt_ty_cd="R", org_invc_no=original_number).aggregate(
        total=Sum("tot_amt"))["total"] or Decimal(0)
    if credited + total > original.tot_amt:
        raise Refused("910", f"Request parameter error: credit notes would exceed invoice {original_number}'s "
                             f"total {original.tot_amt}")
    if sold_on.strftime("%Y%m%d") < original.sales_dt:
        raise Refused("910", "Request parameter error: a credit note cannot be dated before its invoice")


@oscu()
def selectInvoiceDetails(request, body, device):  # noqa: N802
    invoice = device.invoices.filter(invc_no=_integer(body, "invcNo")).first()
    if invoice is None:
        return None
    return {"salesList": [{**{key: invoice.payload.get(key) for key in (
        "invcNo", "orgInvcNo", "trdInvcNo", "rcptTyCd", "custTin", "salesDt", "totAmt", "totTaxAmt")},
        "receipt": invoice.receipt()}]}


# --- purchases and stock ------------------------------------------------------------------------------

@oscu()
def selectTrnsPurchaseSalesList(request, body, device):  # noqa: N802
    since = _since(body)
    sales = SimSupplierSale.objects.filter(buyer_tin=device.tin, created_at__gt=since)
    found = [{"spplrTin": s.spplr_tin, "spplrNm": s.spplr_nm, "spplrBhfId": s.spplr_bhf_id,
              "spplrInvcNo": s.spplr_invc_no, "spplrSdcId": s.spplr_sdc_id, "rcptTyCd": "S", "pmtTyCd": "01",
              "cfmDt": s.created_at.astimezone(NAIROBI).strftime("%Y-%m-%d %H:%M:%S"), "salesDt": s.sales_dt,
              "stockRlsDt": None, "totItemCnt": len(s.items), "totTaxblAmt": s.tot_taxbl_amt,
              "totTaxAmt": s.tot_tax_amt, "totAmt": s.tot_amt, "remark": None, "itemList": s.items}
             for s in sales]
    return {"saleList": found} if found else None


@oscu()
def insertTrnsPurchase(request, body, device):  # noqa: N802
    number = _integer(body, "invcNo")
    _text(body, "spplrTin", max_length=11, required=False)
    if _text(body, "pmtTyCd", max_length=2) not in reference.codes("07"):
        raise Refused("910", "Request parameter error: pmtTyCd is required (class 07)")
    if _text(body, "rcptTyCd", max_length=1) not in reference.codes("38"):
        raise Refused("910", "Request parameter error: rcptTyCd must be P or R")
    _stamp(body, "pchsDt", "%Y%m%d")
    try:
        with transaction.atomic():
            SimPurchase.objects.create(device=device, invc_no=number, payload=json.loads(json.dumps(body, default=str)))
    except IntegrityError:
        raise Refused("994", "There is an overlapped Data") from None
    return {}


@oscu()
def insertStockIO(request, body, device):  # noqa: N802
    number = _integer(body, "sarNo")
    if _text(body, "sarTyCd", max_length=2) not in reference.codes("12"):
        raise Refused("910", "Request parameter error: sarTyCd is not a stock in/out type (class 12)")
    _stamp(body, "ocrnDt", "%Y%m%d")
    if not isinstance(body.get("itemList"), list) or not body["itemList"]:
        raise Refused("910", "Request parameter error: itemList must list at least one item")
    try:
        with transaction.atomic():
            SimStockIO.objects.create(device=device, sar_no=number, payload=json.loads(json.dumps(body, default=str)))
    except IntegrityError:
        raise Refused("994", "There is an overlapped Data") from None
    return {}


@oscu()
def saveStockMaster(request, body, device):  # noqa: N802
    code = _text(body, "itemCd", max_length=20)
    quantity = body.get("rsdQty")
    try:
        quantity = Decimal(str(quantity))
    except (InvalidOperation, ValueError):
        raise Refused("910", "Request parameter error: rsdQty must be a number") from None
    SimStockMaster.objects.update_or_create(device=device, item_cd=code,
                                            defaults={"rsd_qty": quantity, "updated_at": timezone.now()})
    return {}
