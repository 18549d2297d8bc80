"""KRA eTIMS OSCU client: JSON over HTTPS POST, the ``tin``/``bhfId``/``cmcKey`` headers, and the
envelope ``{resultCd, resultMsg, resultDt, data}`` (etims-brief §2.1).

Every answer is classified once, here (``Outcome``), so callers never compare result codes:

* ``SUCCESS`` 000; ``EMPTY`` 001 "no search result" (an empty list, never an error);
* ``RETRY``: certainly not accepted, try later (990 too many requests, 922 out of order, the
  server unreachable before the request was sent);
* ``UNKNOWN``: it may have been accepted (a timeout after sending, HTTP 5xx, 89x, 991-993, 999):
  re-read before sending again, and keep the invoice number;
* ``DUPLICATE``: 994 "overlapped data" / 921 "already declared": it may already be there, re-read;
* ``REJECTED``: 910-912, a definite refusal of this request (the invoice number may be released);
* ``DEVICE``: 900-903, the device or its keys are wrong: nothing a retry of this request fixes
  until the set-up is corrected (the owner is told).

The ``cmcKey`` is a credential: it is sent as a header and never logged or put in an error.
"""

from __future__ import annotations

import enum
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import requests

logger = logging.getLogger(__name__)

NAIROBI = ZoneInfo("Africa/Nairobi")
EPOCH = "20180101000000"  # lastReqDt for "everything" (Odoo's default; a 7-day limit is unconfirmed)


class DecimalEncoder(json.JSONEncoder):
    """Money and quantities as JSON numbers (KRA's fields are NUMBER); 2-decimal amounts below 10^15
    survive the float's shortest repr exactly."""

    def default(self, o):
        if isinstance(o, Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


class Outcome(enum.Enum):
    SUCCESS = "success"
    EMPTY = "empty"
    RETRY = "retry"
    UNKNOWN = "unknown"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    DEVICE = "device"


RESULT_CODES: dict[str, tuple[Outcome, str]] = {
    "000": (Outcome.SUCCESS, "Succeeded"),
    "001": (Outcome.EMPTY, "There is no search result"),
    "900": (Outcome.DEVICE, "No header information (tin, bhfId or cmcKey)"),
    "901": (Outcome.DEVICE, "It is not a valid device: the serial is not registered or approved"),
    "902": (Outcome.DEVICE, "This device is already installed"),
    "903": (Outcome.DEVICE, "Only OSCU devices can be verified"),
    "910": (Outcome.REJECTED, "Request parameter error"),
    "911": (Outcome.REJECTED, "There is no request body"),
    "912": (Outcome.REJECTED, "Request method error"),
    "921": (Outcome.DUPLICATE, "Sales data already declared cannot be received"),
    "922": (Outcome.RETRY, "A sales invoice is accepted only after its sales data"),
    "990": (Outcome.RETRY, "The maximum number of views is exceeded"),
    "991": (Outcome.UNKNOWN, "Error during registration"),
    "992": (Outcome.UNKNOWN, "Error during modification"),
    "993": (Outcome.UNKNOWN, "Error during deletion"),
    "994": (Outcome.DUPLICATE, "There is an overlapped data"),
    "995": (Outcome.RETRY, "There is no downloaded file"),
    "999": (Outcome.UNKNOWN, "Unknown error"),
}
# 891-899 are client-side errors of KRA's own SDKs (URL, header, body, communication, method, status,
# other); seen from us they mean the exchange broke somewhere: the outcome is unknown.
CLIENT_SIDE = range(891, 900)


def classify(code: str) -> Outcome:
    if code in RESULT_CODES:
        return RESULT_CODES[code][0]
    if code.isdigit() and int(code) in CLIENT_SIDE:
        return Outcome.UNKNOWN
    return Outcome.UNKNOWN  # a code we do not know: never assume it was refused


class EtimsError(Exception):
    """A call that did not succeed. ``outcome`` says what the caller may do next."""

    def __init__(self, outcome: Outcome, code: str, message: str, path: str = ""):
        self.outcome, self.code, self.message, self.path = outcome, code, message, path
        super().__init__(f"eTIMS {path or 'call'}: {code} {message}".strip())

    @property
    def accepted_maybe(self) -> bool:
        """True when KRA may have stored what was sent (re-read before sending it again)."""
        return self.outcome in (Outcome.UNKNOWN, Outcome.DUPLICATE)


@dataclass(frozen=True)
class Device:
    """What identifies the device in every call's headers."""

    tin: str
    bhf_id: str
    cmc_key: str = ""


def now_stamp(when: datetime | None = None) -> str:
    """YYYYMMDDhhmmss in Africa/Nairobi, as KRA wants every date."""
    return (when or datetime.now(NAIROBI)).astimezone(NAIROBI).strftime("%Y%m%d%H%M%S")


def parse_stamp(value: str) -> datetime | None:
    """KRA answers in three formats (brief §4 pitfall 4): 20240415153039, 2024-04-15 15:30:39.0 and
    2023-12-12 15:36:25; all are Nairobi time."""
    value = (value or "").strip()
    for fmt in ("%Y%m%d%H%M%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=NAIROBI)
        except ValueError:
            continue
    return None


class OscuClient:
    """One device's client. ``base_url`` ends before the endpoint names (…/etims-api)."""

    def __init__(self, base_url: str, device: Device, *, timeout: float = 30.0, session=None):
        self.base_url = base_url.rstrip("/")
        self.device = device
        self.timeout = timeout
        self.session = session or requests.Session()

    # --- the exchange ------------------------------------------------------------------------
    def call(self, path: str, body: dict, *, with_key: bool = True) -> dict | None:
        """POST ``body``; the envelope's ``data`` on 000, None on 001; else raise EtimsError."""
        headers = {"Content-Type": "application/json", "tin": self.device.tin, "bhfId": self.device.bhf_id}
        if with_key:
            headers["cmcKey"] = self.device.cmc_key
        url = f"{self.base_url}/{path}"
        try:
            response = self.session.post(url, data=json.dumps(body, cls=DecimalEncoder).encode(), headers=headers,
                                         timeout=self.timeout)
        except requests.ConnectionError as error:
            if isinstance(error, requests.ConnectTimeout) or "Failed to establish a new connection" in str(error):
                # no connection was made (refused, DNS, unreachable): certainly not accepted
                raise EtimsError(Outcome.RETRY, "connect", "eTIMS could not be reached", path) from None
            # the connection broke after the request may have gone out
            raise EtimsError(Outcome.UNKNOWN, "broken", "the connection to eTIMS broke", path) from None
        except requests.Timeout:
            raise EtimsError(Outcome.UNKNOWN, "timeout", "eTIMS did not answer in time", path) from None
        except requests.RequestException as error:
            raise EtimsError(Outcome.UNKNOWN, "http", type(error).__name__, path) from None
        try:
            envelope = response.json()
            code = str(envelope["resultCd"])
        except (ValueError, KeyError, TypeError):
            outcome = Outcome.DEVICE if response.status_code in (401, 403, 404) else Outcome.UNKNOWN
            raise EtimsError(outcome, f"http{response.status_code}", "eTIMS answered without a result", path) from None
        outcome = classify(code)
        if outcome is Outcome.SUCCESS:
            return envelope.get("data") or {}
        if outcome is Outcome.EMPTY:
            return None
        message = str(envelope.get("resultMsg") or RESULT_CODES.get(code, (None, "unknown result"))[1])[:300]
        raise EtimsError(outcome, code, message, path)

    # --- device ------------------------------------------------------------------------------
    def initialise(self, serial: str) -> dict:
        """``selectInitOsdcInfo``: the device's ``info`` (``sdcId``, ``mrcNo``, ``cmcKey``…); no
        ``cmcKey`` header (there is none yet). 901: serial not approved; 902: already installed."""
        data = self.call("selectInitOsdcInfo", {"tin": self.device.tin, "bhfId": self.device.bhf_id,
                                                "dvcSrlNo": serial}, with_key=False)
        return (data or {}).get("info") or {}

    # --- reference data (lists answer 001 when nothing changed: an empty list) -----------------
    def code_list(self, since: str = EPOCH) -> list[dict]:
        return ((self.call("selectCodeList", {"lastReqDt": since}) or {}).get("clsList")) or []

    def item_classes(self, since: str = EPOCH) -> list[dict]:
        return ((self.call("selectItemClsList", {"lastReqDt": since}) or {}).get("itemClsList")) or []

    def customer(self, pin: str) -> dict | None:
        """``selectCustomer``: the taxpayer behind a PIN (``taxprNm``, ``taxprSttsCd``…), or None."""
        found = ((self.call("selectCustomer", {"custmTin": pin}) or {}).get("custList")) or []
        return found[0] if found else None

    def save_item(self, item: dict) -> None:
        self.call("saveItem", item)

    def items(self, since: str = EPOCH) -> list[dict]:
        return ((self.call("selectItemList", {"lastReqDt": since}) or {}).get("itemList")) or []

    # --- sales ---------------------------------------------------------------------------------
    def save_sale(self, sale: dict) -> dict:
        """``saveTrnsSalesOsdc`` (a sale or a credit note): the signature
        ``{curRcptNo, totRcptNo, intrlData, rcptSign, sdcDateTime}``."""
        return self.call("saveTrnsSalesOsdc", sale) or {}

    def invoice(self, invoice_number: int) -> dict | None:
        """``selectInvoiceDetails`` ⚠️ (Odoo's idempotent re-read; not in every OSCU v2.0 list): what
        KRA holds under an invoice number, with its ``receipt``, or None."""
        found = ((self.call("selectInvoiceDetails", {"invcNo": invoice_number}) or {}).get("salesList")) or []
        return found[0] if found else None

    # --- purchases and stock -------------------------------------------------------------------
    def purchases(self, since: str = EPOCH) -> list[dict]:
        """``selectTrnsPurchaseSalesList``: suppliers' eTIMS sales to this taxpayer since ``since``."""
        return ((self.call("selectTrnsPurchaseSalesList", {"lastReqDt": since}) or {}).get("saleList")) or []

    def save_purchase(self, purchase: dict) -> None:
        self.call("insertTrnsPurchase", purchase)

    def stock_io(self, movement: dict) -> None:
        self.call("insertStockIO", movement)

    def stock_master(self, item: dict) -> None:
        self.call("saveStockMaster", item)
