"""The OSCU client against the KRA simulator over real HTTP: every result code the brief lists, the
simulator's validation rules (§6) and its fault injection."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from modules.core.etims.oscu import EtimsError, Outcome, classify, parse_stamp
from modules.core.etims.simulator.models import SimDevice, SimInvoice, SimSupplierSale
from tests.etims import etims_on, fault_rates, queue_faults, sale_body, simulator_client  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

WATER = ("KE2NTU0000001", "B", "2", "50.00", "13.79")  # 100 incl. 16 %: 100·16/116 = 13.79
GAS = ("KE2NTU0000002", "C", "1", "2900.00", "0")


@pytest.fixture
def api(etims_on):
    """An initialised device with the two items registered."""
    info = simulator_client(etims_on).initialise(etims_on.ETIMS_DEVICE_SERIAL)
    client = simulator_client(etims_on, key=info["cmcKey"])
    for code, band, *_ in (WATER, GAS):
        client.save_item({"itemCd": code, "itemClsCd": "50200000", "itemTyCd": "2", "itemNm": code, "orgnNatCd": "KE",
                          "pkgUnitCd": "NT", "qtyUnitCd": "U", "taxTyCd": band, "dftPrc": 50, "isrcAplcbYn": "N",
                          "useYn": "Y", "regrId": "t", "regrNm": "t", "modrId": "t", "modrNm": "t"})
    return client


def refused(call) -> EtimsError:
    with pytest.raises(EtimsError) as caught:
        call()
    return caught.value


def test_initialisation_gives_the_key_once_and_refuses_unknown_serials(etims_on):
    client = simulator_client(etims_on)
    info = client.initialise(etims_on.ETIMS_DEVICE_SERIAL)
    assert info["sdcId"].startswith("KRACU") and len(info["cmcKey"]) == 64
    again = refused(lambda: client.initialise(etims_on.ETIMS_DEVICE_SERIAL))
    assert (again.code, again.outcome) == ("902", Outcome.DEVICE)
    unknown = refused(lambda: client.initialise("NOT/APPROVED/0"))
    assert (unknown.code, unknown.outcome) == ("901", Outcome.DEVICE)
    assert SimDevice.objects.get().cmc_key == info["cmcKey"]


def test_headers_are_required_and_the_key_must_match(api, etims_on):
    assert refused(lambda: simulator_client(etims_on, key="").code_list()).code == "900"
    wrong = refused(lambda: simulator_client(etims_on, key="0" * 64).code_list())
    assert (wrong.code, wrong.outcome) == ("900", Outcome.DEVICE)
    assert "0" * 64 not in str(wrong)  # the key never lands in an error


def test_reference_lists_and_the_customer_lookup(api):
    classes = {c["cdCls"]: c for c in api.code_list()}
    assert {d["cd"]: d["userDfnCd1"] for d in classes["04"]["dtlList"]} == {
        "A": "0", "B": "16", "C": "0", "D": "0", "E": "8"}
    assert {"15110000", "50200000"} <= {c["itemClsCd"] for c in api.item_classes()}
    assert api.customer("A123456789Z")["taxprNm"] == "Mama Mboga Traders"
    assert api.customer("Z999999999Z") is None  # 001: no result, not an error
    assert api.purchases() == []  # 001 on a list is an empty list


def test_invoice_numbers_are_gapless_and_a_duplicate_is_994(api):
    first = api.save_sale(sale_body(1, [WATER]))
    assert len(first["intrlData"]) == 26 and len(first["rcptSign"]) == 16 and parse_stamp(first["sdcDateTime"])
    assert first["curRcptNo"] == first["totRcptNo"] == 1
    gap = refused(lambda: api.save_sale(sale_body(3, [WATER])))
    assert (gap.code, gap.outcome) == ("910", Outcome.REJECTED) and "must be 2" in gap.message
    duplicate = refused(lambda: api.save_sale(sale_body(1, [WATER])))
    assert (duplicate.code, duplicate.outcome) == ("994", Outcome.DUPLICATE)
    assert api.save_sale(sale_body(2, [WATER, GAS]))["totRcptNo"] == 2
    assert api.invoice(2)["receipt"]["rcptSign"] == SimInvoice.objects.get(invc_no=2).rcpt_sign
    assert api.invoice(9) is None


@pytest.mark.parametrize("spoil, why", [
    (lambda b: b["itemList"][0].update(taxAmt=Decimal("13.81")), "taxAmt/totAmt"),
    (lambda b: b.update(taxAmtB=Decimal("13.80")), "taxAmtB"),
    (lambda b: b.update(totAmt=Decimal("100.02")), "totAmt"),
    (lambda b: b["itemList"][0].update(itemCd="KE2NTU9999999"), "not registered"),
    (lambda b: b.update(taxRtB=18), "taxRtB"),
    (lambda b: b.update(salesDt=(timezone.localdate() + timedelta(days=2)).strftime("%Y%m%d")), "future"),
    (lambda b: b.update(pmtTyCd="99"), "pmtTyCd"),
    (lambda b: b.update(totItemCnt=2), "totItemCnt"),
])
def test_arithmetic_and_fields_are_checked_to_the_cent(api, spoil, why):
    body = sale_body(1, [WATER])
    spoil(body)
    error = refused(lambda: api.save_sale(body))
    assert error.code == "910" and why in error.message
    assert not SimInvoice.objects.exists()


def test_a_one_cent_rounding_difference_is_accepted(api):
    body = sale_body(1, [("KE2NTU0000001", "B", "3", "33.33", "13.79")])  # 99.99·16/116 = 13.792
    assert api.save_sale(body)["curRcptNo"] == 1


def test_credit_note_rules(api):
    api.save_sale(sale_body(1, [WATER], customer="A123456789Z"))
    no_reason = refused(lambda: api.save_sale(sale_body(2, [WATER], kind="R", original=1, customer="A123456789Z")))
    assert "rfdRsnCd" in no_reason.message
    other_pin = refused(lambda: api.save_sale(sale_body(2, [WATER], kind="R", original=1, reason="06")))
    assert "custTin" in other_pin.message
    too_much = refused(lambda: api.save_sale(sale_body(2, [WATER, WATER], kind="R", original=1, reason="06",
                                                       customer="A123456789Z")))
    assert "exceed" in too_much.message
    unknown = refused(lambda: api.save_sale(sale_body(2, [WATER], kind="R", original=7, reason="06")))
    assert "orgInvcNo 7" in unknown.message
    credit = api.save_sale(sale_body(2, [WATER], kind="R", original=1, reason="06", customer="A123456789Z"))
    assert credit["curRcptNo"] == 1 and credit["totRcptNo"] == 2  # credit notes count on their own
    again = refused(lambda: api.save_sale(sale_body(3, [WATER], kind="R", original=1, reason="06",
                                                    customer="A123456789Z")))
    assert "exceed" in again.message  # the original is fully credited


@pytest.mark.parametrize("fault, code, outcome", [
    ("990", "990", Outcome.RETRY),
    ("994", "994", Outcome.DUPLICATE),
    ("5xx", "http500", Outcome.UNKNOWN),
    ("timeout", "timeout", Outcome.UNKNOWN),
])
def test_injected_faults_store_nothing(api, fault, code, outcome):
    queue_faults(fault, path="saveTrnsSalesOsdc")
    error = refused(lambda: api.save_sale(sale_body(1, [WATER])))
    assert (error.code, error.outcome) == (code, outcome)
    assert not SimInvoice.objects.exists()
    assert api.save_sale(sale_body(1, [WATER]))["curRcptNo"] == 1


def test_a_lost_answer_was_stored_and_the_re_read_finds_it(api):
    queue_faults("lost_answer", path="saveTrnsSalesOsdc")
    assert refused(lambda: api.save_sale(sale_body(1, [WATER]))).outcome is Outcome.UNKNOWN
    assert api.invoice(1)["trdInvcNo"] == "T-1"
    assert refused(lambda: api.save_sale(sale_body(1, [WATER]))).code == "994"


def test_an_outage_answers_503_until_it_ends(api):
    fault_rates(down_until=timezone.now() + timedelta(minutes=30))
    assert refused(lambda: api.code_list()).code == "http503"
    fault_rates(down_until=None)
    assert api.code_list()


def test_an_unreachable_server_is_retry_not_unknown(etims_on):
    etims_on.ETIMS_BASE_URL = "http://127.0.0.1:9/etims-api"  # nothing listens on the discard port
    error = refused(lambda: simulator_client(etims_on, key="k").code_list())
    assert error.outcome is Outcome.RETRY


def test_purchases_offered_to_the_buyer(api, etims_on):
    SimSupplierSale.objects.create(
        buyer_tin=etims_on.ETIMS_TIN, spplr_tin="P052345678Y", spplr_nm="Maji Safi Supplies Ltd", spplr_invc_no=88,
        spplr_sdc_id="KRACU0200000001", sales_dt="20261101", tot_taxbl_amt=Decimal("1000"), tot_tax_amt=Decimal("137.93"),
        tot_amt=Decimal("1000"), items=[{"itemNm": "Preforms", "qty": 100}])
    [found] = api.purchases()
    assert (found["spplrInvcNo"], found["totAmt"]) == (88, 1000)


def test_every_result_code_of_the_brief_is_classified():
    expected = {"000": Outcome.SUCCESS, "001": Outcome.EMPTY, "900": Outcome.DEVICE, "901": Outcome.DEVICE,
                "902": Outcome.DEVICE, "910": Outcome.REJECTED, "921": Outcome.DUPLICATE, "922": Outcome.RETRY,
                "990": Outcome.RETRY, "994": Outcome.DUPLICATE, "999": Outcome.UNKNOWN, "894": Outcome.UNKNOWN,
                "123": Outcome.UNKNOWN}
    assert {code: classify(code) for code in expected} == expected
