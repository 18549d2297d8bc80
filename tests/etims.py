"""eTIMS test helpers: the client pointed at the simulator on pytest-django's live server (real HTTP)."""

from decimal import Decimal

import pytest

from modules.core.etims.oscu import Device, OscuClient, now_stamp
from modules.core.etims.simulator.models import SimFaults, SimQueuedFault

TIMEOUT = 1.0  # the client's; the simulator's "timeout" hangs longer


@pytest.fixture
def etims_on(live_server, settings):
    """eTIMS on, talking to the simulator served by the live server."""
    settings.ETIMS_MODE = "simulator"
    settings.ETIMS_BASE_URL = f"{live_server.url}/etims-api"
    settings.ETIMS_HTTP_TIMEOUT = TIMEOUT
    settings.ETIMS_SIMULATOR_HANG_SECONDS = TIMEOUT + 0.5
    return settings


def simulator_client(settings, *, key: str = "") -> OscuClient:
    return OscuClient(settings.ETIMS_BASE_URL, Device(settings.ETIMS_TIN, settings.ETIMS_BHF_ID, key), timeout=TIMEOUT)


def queue_faults(*kinds: str, path: str = "") -> None:
    for kind in kinds:
        SimQueuedFault.objects.create(kind=kind, path=path)


def fault_rates(**rates) -> SimFaults:
    faults, _ = SimFaults.objects.update_or_create(pk=1, defaults=rates)
    return faults


def money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def sale_body(number: int, lines, *, kind="S", original=0, customer="", reason=None, trade=None) -> dict:
    """A saveTrnsSalesOsdc body, VAT-inclusive amounts: ``lines`` are (itemCd, band, qty, price, vat)."""
    items, bands = [], {band: [Decimal(0), Decimal(0)] for band in "ABCDE"}
    rates = {"A": 0, "B": 16, "C": 0, "D": 0, "E": 8}
    for seq, (code, band, qty, price, vat) in enumerate(lines, 1):
        supply = money(Decimal(qty) * Decimal(price))
        items.append({"itemSeq": seq, "itemCd": code, "itemClsCd": "50200000", "itemNm": code, "pkgUnitCd": "NT",
                      "pkg": qty, "qtyUnitCd": "U", "qty": qty, "prc": price, "splyAmt": supply, "dcRt": 0,
                      "dcAmt": 0, "taxTyCd": band, "taxblAmt": supply, "taxAmt": Decimal(vat), "totAmt": supply})
        bands[band][0] += supply
        bands[band][1] += Decimal(vat)
    body = {"invcNo": number, "orgInvcNo": original, "trdInvcNo": trade or f"T-{number}", "custTin": customer or None,
            "custNm": None, "rcptTyCd": kind, "pmtTyCd": "01", "salesSttsCd": "02", "salesTyCd": "N",
            "cfmDt": now_stamp(), "salesDt": now_stamp()[:8], "rfdRsnCd": reason, "totItemCnt": len(items),
            "prchrAcptcYn": "N", "itemList": items}
    for band in "ABCDE":
        body[f"taxblAmt{band}"], body[f"taxAmt{band}"] = bands[band]
        body[f"taxRt{band}"] = rates[band]
    body["totTaxblAmt"] = sum((bands[b][0] for b in "ABCDE"), Decimal(0))
    body["totTaxAmt"] = sum((bands[b][1] for b in "ABCDE"), Decimal(0))
    body["totAmt"] = body["totTaxblAmt"]
    return body

