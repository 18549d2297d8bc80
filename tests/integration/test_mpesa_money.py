"""Money that reached an M-Pesa number is booked exactly once, whatever order callbacks, queries,
C2B confirmations, typed codes and statements arrive in; the inbox allocates what nothing claimed,
audited and reversible; the seller is never offered cash while M-Pesa may still pay."""

import hashlib
import itertools
import uuid
from datetime import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from fixtures.demo import seed
from modules.core.businesses.models import Business
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account, JournalEntry
from modules.core.notifications.models import Notification
from modules.core.payments import daraja, receipts, results, stk
from modules.core.payments import services as payments
from modules.core.payments.models import Allocation, MpesaReceipt, MpesaSetting, Payment, StkRequest
from modules.core.system.models import SecurityEvent
from tests.conftest import PASSWORD

TOKEN = "callback-token-for-tests-0123456789"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def water(settings):
    settings.MPESA_CALLBACK_TOKEN = TOKEN
    seed(PASSWORD, opening_stock=False)
    return Business.objects.get(code="water")


def invoice(business, amount="450", phone="0712345670"):
    return payments.issue_invoice(business, description="Delivery", amount=amount, customer_phone=phone)


def balance(code, business="water"):
    return ledger.balance(Account.objects.get(business__code=business, code=code))


def pending(document, amount=450, phone="254712345670", status=StkRequest.Status.PENDING, **fields):
    return StkRequest.objects.create(business=document.business, document=document, phone=phone, amount=amount,
                                     status=status, merchant_request_id=f"m-{uuid.uuid4().hex[:8]}",
                                     checkout_request_id=f"ws_CO_{uuid.uuid4().hex[:12]}",
                                     requested_by=User.objects.get(username="water_staff"), **fields)


def paid_body(request, receipt="TKA1B2C3D4", amount=None):
    return {"Body": {"stkCallback": {
        "MerchantRequestID": request.merchant_request_id, "CheckoutRequestID": request.checkout_request_id,
        "ResultCode": 0, "ResultDesc": "The service request is processed successfully.",
        "CallbackMetadata": {"Item": [
            {"Name": "Amount", "Value": amount if amount is not None else request.amount},
            {"Name": "MpesaReceiptNumber", "Value": receipt}, {"Name": "Balance"},
            {"Name": "TransactionDate", "Value": 20261120101500},
            {"Name": "PhoneNumber", "Value": int(request.phone)}]}}}}


def failed_body(request, code=1032, desc="Request cancelled by user"):
    return {"Body": {"stkCallback": {"MerchantRequestID": request.merchant_request_id,
                                     "CheckoutRequestID": request.checkout_request_id, "ResultCode": code,
                                     "ResultDesc": desc}}}


def post(client, body, path=None):
    return client.post(path or f"/payments/stk/{TOKEN}/", body, content_type="application/json")


# --- STK: late money, unknown pushes, no cash while M-Pesa may pay --------------------------------

@pytest.mark.parametrize("before", ["cancelled", "gave_up", "timeout"])
def test_money_after_we_stopped_waiting_is_booked_once_to_the_inbox(water, client, before):
    bill = invoice(water)
    request = pending(bill)
    if before == "cancelled":
        post(client, failed_body(request))
    else:
        StkRequest.objects.filter(pk=request.pk).update(status=before, settled_at=timezone.now())
    entries = JournalEntry.objects.count()
    for _ in range(3):  # Safaricom repeats itself: booked once
        assert post(client, paid_body(request)).json()["ResultCode"] == 0
    request.refresh_from_db()
    row = MpesaReceipt.objects.get()
    assert (request.status, request.mpesa_receipt, row.receipt, row.state) == (
        "paid_late", "TKA1B2C3D4", "TKA1B2C3D4", "unallocated")
    assert row.suggested == bill and JournalEntry.objects.count() == entries + 1
    assert (balance(chart.MPESA), balance(payments.MPESA_UNALLOCATED), balance(chart.RECEIVABLES)) == (
        Decimal("450.00"), Decimal("450.00"), Decimal("450.00"))
    told = {n.recipient.username: n.message for n in Notification.objects.filter(kind="payments.paid_late")}
    assert set(told) == {"owner", "water_staff"} and "The customer did pay" in told["water_staff"]
    screen = client_for("water_staff", client).get(reverse("admin:payments:stk_status", args=[request.pk]))
    assert "The customer did pay" in screen.content.decode() and "Take KES" not in screen.content.decode()

    payments.allocate_to_document(row, bill, user=User.objects.get(username="owner"))  # the inbox's one tap
    bill.refresh_from_db()
    assert bill.paid_at is not None and Payment.objects.get().mpesa_receipt == "TKA1B2C3D4"
    assert (balance(chart.MPESA), balance(payments.MPESA_UNALLOCATED), balance(chart.RECEIVABLES)) == (
        Decimal("450.00"), Decimal("0.00"), Decimal("0.00"))


def client_for(username, client):
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def fake_daraja(monkeypatch):
    class Fake:
        callback_url = "https://biashara.example.co.ke/payments/stk/t/"

        def __init__(self):
            self.sent, self.fail = [], None

        def stk_push(self, phone, amount, reference, description, *, pay_to=None, callback_url=None):
            self.sent.append({"phone": phone, "amount": amount, "pay_to": pay_to, "callback_url": callback_url})
            if self.fail is not None:
                raise self.fail
            return daraja.StkPushResponse(f"m-{len(self.sent)}", f"ws_CO_{uuid.uuid4().hex[:12]}", "0", "ok")

        def stk_query(self, checkout_request_id, *, pay_to=None):
            return daraja.StkQueryResult("pending", None, "The transaction is being processed")

    fake = Fake()
    monkeypatch.setattr(stk, "get_client", lambda: fake)
    return fake


def test_an_ambiguous_push_is_unknown_never_failed_and_its_callback_still_pays(water, client, fake_daraja):
    bill = invoice(water)
    request = payments.ask_mpesa(bill, "0712345670")
    fake_daraja.fail = daraja.DarajaError("STK push: read timed out", ambiguous=True)
    request = stk.send_push(request.pk)
    assert (request.status, request.checkout_request_id) == ("unknown", None)
    assert fake_daraja.sent[0]["callback_url"].endswith(f"/{request.pk}/")  # the callback can name the request
    page = client_for("water_staff", client).get(reverse("admin:payments:stk_status", args=[request.pk]))
    text = page.content.decode()
    assert "Waiting for M-Pesa's answer" in text and "Take KES" not in text and "hx-trigger" in text
    assert payments.ask_mpesa(bill, "0712345670") == request  # no second prompt while it may pay
    refused = client.post(reverse("admin:payments:stk_take_cash", args=[request.pk]), follow=True)
    assert "may still bring this money" in refused.content.decode() and not Payment.objects.exists()
    with pytest.raises(ValidationError, match="may still be paid"):
        payments.record_payment(bill, method="cash", amount=450)

    request.checkout_request_id, request.merchant_request_id = "ws_CO_learned_from_callback", "m-learned"
    assert post(client, paid_body(request), f"/payments/stk/{TOKEN}/{request.pk}/").json()["ResultCode"] == 0
    request.refresh_from_db()
    bill.refresh_from_db()
    assert (request.status, request.checkout_request_id, bill.paid_at is not None) == (
        "success", "ws_CO_learned_from_callback", True)


def test_an_unknown_push_without_an_answer_is_given_up_and_a_refusal_is_final(water, fake_daraja):
    bill = invoice(water)
    request = payments.ask_mpesa(bill, "0712345670")
    fake_daraja.fail = daraja.DarajaError("STK push refused: HTTP 503", status=503, ambiguous=True)
    stk.send_push(request.pk)
    StkRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - stk.UNKNOWN_GIVE_UP * 2,
                                                    next_check_at=timezone.now())
    payments.reconcile_pending()
    request.refresh_from_db()
    assert request.status == "gave_up" and "check the M-Pesa statement" in request.result_desc

    other = payments.ask_mpesa(invoice(water, "100"), "0712345670")
    fake_daraja.fail = daraja.DarajaError("STK push refused: HTTP 400, 400.002.02: Invalid PartyB", status=400,
                                          code="400.002.02")
    assert stk.send_push(other.pk).status == "failed"  # a refusal is final, and a set-up problem for the owner


def test_a_push_that_never_left_is_sent_again_and_a_worker_killed_mid_push_leaves_it_unknown(water, fake_daraja):
    bill = invoice(water)
    request = payments.ask_mpesa(bill, "0712345670")
    fake_daraja.fail = daraja.DarajaError("could not reach Daraja: connection refused")
    request = stk.send_push(request.pk)
    assert request.status == "queued" and request.push_attempts == 1  # retried later, never twice at once
    fake_daraja.fail = None
    StkRequest.objects.filter(pk=request.pk).update(next_check_at=timezone.now())
    payments.reconcile_pending()
    request.refresh_from_db()
    assert request.status == "pending" and len(fake_daraja.sent) == 2

    stuck = pending(invoice(water, "90"), amount=90, phone="254712345680", status=StkRequest.Status.SENDING,
                    next_check_at=timezone.now())
    payments.reconcile_pending()
    stuck.refresh_from_db()
    assert stuck.status == "unknown"  # it may have reached Daraja: never pushed again by itself


def test_the_page_only_queues_the_push_no_daraja_call_in_a_request(water, client, monkeypatch, redis_conn):
    def no_network(*args, **kwargs):
        raise AssertionError("a web request called Daraja")

    monkeypatch.setattr(daraja.SESSION, "request", no_network)
    bill = invoice(water)
    response = client_for("water_staff", client).post(reverse("admin:payments:request_mpesa", args=[bill.pk]),
                                                      {"phone": "0712 345 670"})
    request = StkRequest.objects.get()
    assert response.status_code == 302 and request.status == "queued"
    import django_rq

    (job,) = django_rq.get_queue("default").get_jobs()
    assert (job.func_name, job.args) == ("modules.core.payments.jobs.push_stk", (request.pk,))
    status = client.get(reverse("admin:payments:stk_status", args=[request.pk]))
    assert status.status_code == 200 and "Sending the request to M-Pesa" in status.content.decode()


def test_one_prompt_per_phone_and_business_and_a_rest_after_a_cancel(water, client, fake_daraja):
    first = payments.ask_mpesa(invoice(water), "0712345670")
    with pytest.raises(ValidationError, match="already has an M-Pesa request waiting"):
        payments.ask_mpesa(invoice(water, "100"), "0712345670")
    shop = Business.objects.get(code="shop")
    assert payments.ask_mpesa(invoice(shop, "100"), "0712345670").business == shop  # another business's till
    first = stk.send_push(first.pk)
    post(client, failed_body(first))
    with pytest.raises(ValidationError, match="cancelled the last prompt"):
        payments.ask_mpesa(invoice(water, "100"), "0712345670")


def test_a_non_numeric_result_code_is_a_set_up_error_the_owner_is_told_about(water, client):
    request = pending(invoice(water))
    post(client, failed_body(request, code="SFC_IC0003", desc="Invalid till set-up"))
    request.refresh_from_db()
    assert (request.status, request.result_code) == ("failed", "SFC_IC0003")
    assert "set-up problem" in request.message and "owner has been told" in request.message
    (told,) = Notification.objects.filter(kind="payments.setup_error")
    assert told.recipient.username == "owner" and "M-Pesa settings" in told.message and "SFC_IC0003" in told.message


@pytest.mark.parametrize("code, status, words", [
    (1, "insufficient", "enough money"), (1001, "failed", "busy"), (1019, "timeout", "expired"),
    (1025, "failed", "could not send"), (1031, "cancelled", "closed"), (1032, "cancelled", "cancelled"),
    (1036, "timeout", "did not reach"), (1037, "timeout", "did not answer"), (2001, "failed", "wrong M-Pesa PIN"),
    (4999, "pending", "still processing"), (9999, "failed", "error"), (0, "success", "Paid"),
])
def test_every_result_code_has_a_plain_message(code, status, words):
    result = results.for_code(code)
    assert result.status == status and words in result.seller and not result.configuration_error
    unknown = results.for_code(7777, "Something odd")
    assert "code 7777" in unknown.seller and "Something odd" in unknown.seller


def test_a_receipt_learned_late_fills_what_the_query_could_not_say(water, client, fake_daraja, monkeypatch):
    bill = invoice(water)
    request = stk.send_push(payments.ask_mpesa(bill, "0712345670").pk)

    class Query:
        def stk_query(self, checkout_request_id, *, pay_to=None):
            return daraja.StkQueryResult("success", 0, "ok")

    monkeypatch.setattr(stk, "get_client", lambda: Query())
    StkRequest.objects.filter(pk=request.pk).update(next_check_at=timezone.now())
    assert payments.check_stk_request(request.pk).status == "success"
    row = MpesaReceipt.objects.get()
    assert (row.receipt, row.transaction_time, row.source) == (None, None, "stk")
    post(client, paid_body(request, receipt="QRS1T2U3V4"))  # the callback, late
    row.refresh_from_db()
    request.refresh_from_db()
    assert (row.receipt, request.mpesa_receipt) == ("QRS1T2U3V4", "QRS1T2U3V4")
    assert row.transaction_time == datetime(2026, 11, 20, 10, 15, tzinfo=daraja.NAIROBI)
    assert Payment.objects.count() == 1


# --- C2B -------------------------------------------------------------------------------------------

def c2b(receipt="RKTQDM7W6S", amount="430.00", shortcode="600984", account="", msisdn="254712345678", kind="Pay Bill"):
    return {"TransactionType": kind, "TransID": receipt, "TransTime": "20261120101500", "TransAmount": amount,
            "BusinessShortCode": shortcode, "BillRefNumber": account, "InvoiceNumber": "", "OrgAccountBalance": "0.00",
            "ThirdPartyTransID": "", "MSISDN": hashlib.sha256(msisdn.encode()).hexdigest() if msisdn else "",
            "FirstName": "AMINA", "MiddleName": "", "LastName": "W"}


@pytest.fixture
def numbers(water):
    """Water takes a paybill, the shop a Buy Goods till."""
    MpesaSetting.objects.create(business=water, kind="paybill", shortcode="600984", passkey="p1")
    MpesaSetting.objects.create(business=Business.objects.get(code="shop"), kind="till", shortcode="300584",
                                till_number="5170231", passkey="p2")
    return water


def confirm(client, body):
    return client.post(f"/payments/c2b/{TOKEN}/confirmation/", body, content_type="application/json")


def validate(client, body):
    return client.post(f"/payments/c2b/{TOKEN}/validation/", body, content_type="application/json").json()


def test_paybill_validation_accepts_known_accounts_and_refuses_unknown_ones(numbers, client):
    bill = invoice(numbers)
    assert validate(client, c2b(account=f"INV{bill.pk}"))["ResultCode"] == "0"
    assert validate(client, c2b(account="0712345678"))["ResultCode"] == "0"  # a customer's own account
    assert validate(client, c2b(account="NOPE-42")) == {"ResultCode": "C2B00012", "ResultDesc": "Rejected"}
    assert validate(client, c2b(shortcode="999999")) == {"ResultCode": "C2B00015", "ResultDesc": "Rejected"}
    assert validate(client, c2b(shortcode="5170231", account="anything"))["ResultCode"] == "0"  # a till: no account
    MpesaSetting.objects.filter(business=numbers).update(reject_unknown_accounts=False)
    assert validate(client, c2b(account="NOPE-42"))["ResultCode"] == "0"


def test_a_paybill_confirmation_books_once_and_its_account_number_pays_the_invoice(numbers, client):
    bill = invoice(numbers, "430")
    for _ in range(3):
        assert confirm(client, c2b(account=f"inv {bill.pk}")).json()["ResultCode"] == 0
    row = MpesaReceipt.objects.get()
    bill.refresh_from_db()
    assert (row.state, row.source, bill.paid_at is not None) == ("allocated", "c2b", True)
    assert row.allocations.get().automatic and row.phone_hash == hashlib.sha256(b"254712345678").hexdigest()
    assert (balance(chart.MPESA), balance(payments.MPESA_UNALLOCATED), balance(chart.RECEIVABLES)) == (
        Decimal("430.00"), Decimal("0.00"), Decimal("0.00"))


def test_a_till_payment_is_matched_to_the_payers_open_bill_by_the_hashed_phone(numbers, client):
    shop = Business.objects.get(code="shop")
    mine = invoice(shop, "430", phone="0712345678")
    invoice(shop, "430", phone="0722000111")  # someone else's bill of the same amount
    confirm(client, c2b(shortcode="5170231", kind="Buy Goods"))
    mine.refresh_from_db()
    row = MpesaReceipt.objects.get()
    assert row.business == shop and row.state == "allocated" and mine.paid_at is not None


def test_an_ambiguous_till_payment_is_only_suggested(numbers, client):
    shop = Business.objects.get(code="shop")
    first, second = invoice(shop, "430", phone=""), invoice(shop, "430", phone="")
    confirm(client, c2b(shortcode="5170231", kind="Buy Goods", receipt="RKTQDM7W6T"))
    row = MpesaReceipt.objects.get()
    assert row.state == "unallocated" and row.suggested in (first, second) and "1 other" in row.suggestion_note
    assert not Payment.objects.exists()
    told = Notification.objects.filter(kind="payments.unallocated")
    assert {n.recipient.username for n in told} == {"owner", "shop_staff"}


def test_a_malformed_or_foreign_confirmation_books_nothing_and_never_answers_500(numbers, client):
    for body in (c2b(receipt="x" * 500), c2b(amount="1e400"), c2b(shortcode="999999"), {"TransID": ["a"]}, [1, 2]):
        assert confirm(client, body).status_code < 500
    refused = SecurityEvent.objects.filter(kind__startswith="mpesa.")  # repeats in a minute: one row, counted
    assert not MpesaReceipt.objects.exists() and refused.aggregate(n=Sum("count"))["n"] == 5
    assert client.post(f"/payments/c2b/{TOKEN}x/confirmation/", c2b(),
                       content_type="application/json").status_code == 403


# --- the inbox: allocate, audited and reversible ----------------------------------------------------

def inbox_receipt(business, amount="500", receipt="QAB1C2D3E4"):
    return MpesaReceipt.objects.get(pk=receipts.book_unallocated(
        business, amount=amount, source="c2b", receipt=receipt, memo="test").pk)


def test_the_inbox_allocates_in_one_tap_and_an_allocation_can_be_reversed(water, client):
    bill = invoice(water, "500")
    row = inbox_receipt(water)
    staff = client_for("water_staff", client)
    assert "QAB1C2D3E4" in staff.get(reverse("admin:payments:inbox")).content.decode()
    widget = staff.get(reverse("admin:widget", args=["payments.inbox"])).content.decode()
    assert "1 to allocate" in widget and "KES 500.00" in widget  # the ledger's Unallocated balance
    response = staff.post(reverse("admin:payments:allocate", args=[row.pk]),
                          {"action": "document", "reference": f"INV{bill.pk}"})
    assert response.status_code == 302
    bill.refresh_from_db()
    assert bill.paid_at is not None and balance(payments.MPESA_UNALLOCATED) == 0
    assert staff.post(reverse("admin:payments:reverse_allocation", args=[Allocation.objects.get().pk]),
                      {"reason": "wrong bill"}).status_code == 403  # the owner's call
    owner = client_for("owner", client)
    owner.post(reverse("admin:payments:reverse_allocation", args=[Allocation.objects.get().pk]),
               {"reason": "wrong bill"})
    bill.refresh_from_db()
    row.refresh_from_db()
    assert bill.paid_at is None and payments.amount_due(bill) == 500 and row.state == "unallocated"
    assert (balance(payments.MPESA_UNALLOCATED), balance(chart.RECEIVABLES)) == (Decimal("500.00"), Decimal("500.00"))
    assert [a.kind for a in Allocation.objects.order_by("pk")] == ["document", "reversal"]
    owner.post(reverse("admin:payments:allocate", args=[row.pk]), {"action": "credit", "phone": "0712 345 670"})
    assert payments.customer_credit(water, "254712345670") == 500 and balance(chart.CUSTOMER_CREDIT) == 500


def test_not_ours_needs_a_reason_and_the_money_leaves_the_till(water, client):
    row = inbox_receipt(water)
    owner = client_for("owner", client)
    page = owner.post(reverse("admin:payments:allocate", args=[row.pk]), {"action": "not_ours", "reason": ""},
                      follow=True)
    assert "Say why" in page.content.decode()
    owner.post(reverse("admin:payments:allocate", args=[row.pk]),
               {"action": "not_ours", "reason": "paid to us by mistake, refunded to 0733 000 111"})
    row.refresh_from_db()
    assert row.state == "not_ours" and balance(chart.MPESA) == 0 and balance(payments.MPESA_UNALLOCATED) == 0
    assert client_for("water_staff", client).post(reverse("admin:payments:allocate", args=[row.pk]),
                                                  {"action": "not_ours", "reason": "x"}).status_code == 403
    assert client_for("shop_staff", client).get(reverse("admin:payments:receipt", args=[row.pk])).status_code == 403


# --- codes typed from the customer's SMS ----------------------------------------------------------

def test_a_typed_code_is_booked_then_confirmed_once_by_m_pesa(numbers, client):
    bill = invoice(numbers, "430")
    staff = client_for("water_staff", client)
    url = reverse("admin:payments:typed_code", args=[bill_type(bill), bill.pk])
    assert "Type the M-Pesa code" in staff.post(url, {"code": "12"}).content.decode()
    assert staff.post(url, {"code": "rktqdm7w6s"}).status_code == 302
    bill.refresh_from_db()
    row = MpesaReceipt.objects.get()
    assert bill.paid_at is not None and (row.receipt, row.source, row.confirmed_at) == ("RKTQDM7W6S", "typed", None)
    confirm(client, c2b(account=""))  # M-Pesa's own word arrives: the same money, not a second booking
    row.refresh_from_db()
    assert row.confirmed_at is not None and MpesaReceipt.objects.count() == 1 and balance(chart.MPESA) == 430
    assert not row.problem


def bill_type(bill):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(bill).pk


def test_a_typed_code_of_money_already_in_the_inbox_allocates_it_and_a_wrong_amount_is_flagged(numbers, client):
    row = inbox_receipt(numbers, amount="430", receipt="RKTQDM7W6S")
    bill = invoice(numbers, "430")
    payments.record_typed_code(bill, "RKTQDM7W6S")
    row.refresh_from_db()
    assert row.state == "allocated" and MpesaReceipt.objects.count() == 1 and balance(chart.MPESA) == 430
    with pytest.raises(ValidationError, match="already in the books"):
        payments.record_typed_code(invoice(numbers, "430"), "RKTQDM7W6S")

    other = invoice(numbers, "500")
    payments.record_typed_code(other, "QWE1R2T3Y4")  # staff wrote 500; M-Pesa received 450
    confirm(client, c2b(receipt="QWE1R2T3Y4", amount="450.00"))
    flagged = MpesaReceipt.objects.get(receipt="QWE1R2T3Y4")
    assert flagged.problem == "Booked KES 500.00, M-Pesa received KES 450.00."


def test_a_typed_code_never_confirmed_is_flagged_and_can_be_undone(numbers, client):
    bill = invoice(numbers, "430")
    payments.record_typed_code(bill, "ZZZ9Y8X7W6")
    MpesaReceipt.objects.update(created_at=timezone.now() - receipts.TYPED_CONFIRM_WITHIN * 2)
    (row,) = payments.unconfirmed_typed(numbers)
    owner = client_for("owner", client)
    assert "ZZZ9Y8X7W6" in owner.get(reverse("admin:payments:inbox")).content.decode()
    owner.post(reverse("admin:payments:allocate", args=[row.pk]),
               {"action": "never_arrived", "reason": "not on the statement of 20 Nov"})
    bill.refresh_from_db()
    row.refresh_from_db()
    assert row.state == "never_arrived" and bill.paid_at is None and payments.amount_due(bill) == 430
    assert balance(chart.MPESA) == 0 and balance(chart.RECEIVABLES) == 430


# --- the business portal's statement, reconciled both ways ------------------------------------------

HEADERS = ('"Receipt No.","Completion Time","Initiation Time","Details","Transaction Status","Paid In","Withdrawn",'
           '"Balance","Balance Confirmed","Reason Type","Other Party Info","Linked Transaction ID","A/C No."')


def statement_csv(*lines, closing="1,000.00"):
    """A statement as the M-Pesa business portal exports it: heading lines, then newest first."""
    head = ["Account Holder:,BIASHARA WATER", "Short Code:,600984", "Account:,Utility Account",
            'Time Period:,"20-11-2026 00:00:00 - 20-11-2026 23:59:59"', "Opening Balance:,0.00",
            f'Closing Balance:,"{closing}"', "", HEADERS]
    return ("\n".join(head + list(lines)) + "\n").encode()


def money_in(receipt, time, amount, party="2547*****678 - AMINA W", account="", day="20-11-2026"):
    details = f"Pay Bill from {party}" + (f" Acc. {account}" if account else "")
    return (f'{receipt},{day} {time},{day} {time},"{details}",Completed,"{amount}",,"0.00",Yes,'
            f'Pay Bill,"{party}",,{account}')


def charge(receipt, time, amount):
    return f'{receipt},20-11-2026 {time},20-11-2026 {time},Pay Bill Charge,Completed,,"-{amount}","0.00",Yes,Pay Bill Charge,,,'


def test_a_statement_is_imported_once_and_reconciled_both_ways(numbers, client):
    from modules.core.payments import statements
    from modules.core.reports import services as reports

    bill = invoice(numbers, "430")
    confirm(client, c2b(account=f"INV{bill.pk}"))  # RKTQDM7W6S, booked by its confirmation
    payments.record_typed_code(invoice(numbers, "500"), "QWE1R2T3Y4")  # staff typed 500; M-Pesa says 450
    payments.record_typed_code(invoice(numbers, "200"), "TYPED00001")  # never on the statement
    data = statement_csv(
        charge("QST1U2V3W4", "11:00:00", "5.50"), money_in("QST1U2V3W4", "11:00:00", "1,000.00", account="X9"),
        charge("QWE1R2T3Y4", "10:30:00", "2.48"), money_in("QWE1R2T3Y4", "10:30:00", "450.00"),
        'QFA1L2E3D4,20-11-2026 10:20:00,20-11-2026 10:20:00,"Pay Bill from x",Failed,"999.00",,"0.00",No,,,,',
        'QOU1T2X3Y4,20-11-2026 10:18:00,20-11-2026 10:18:00,"Business Pay Bill to 888880 - KPLC",Completed,,"-300.00",'
        '"0.00",Yes,Business Pay Bill,,,',
        charge("RKTQDM7W6S", "10:15:00", "2.37"), money_in("RKTQDM7W6S", "10:15:00", "430.00", account=f"INV{bill.pk}"))
    result = statements.import_statement(numbers, data, file_name="statement.csv")
    assert (result.statement.lines_read, result.new, result.matched) == (7, 7, 2)
    assert [line.receipt for line in result.not_booked] == ["QST1U2V3W4"]
    assert result.charges_posted == Decimal("10.35") and balance(payments.MPESA_CHARGES) == Decimal("10.35")
    again = statements.import_statement(numbers, data)  # the same period twice: nothing new
    assert (again.new, again.charges_posted, [line.receipt for line in again.not_booked]) == (0, 0, ["QST1U2V3W4"])
    assert balance(payments.MPESA_CHARGES) == Decimal("10.35")

    day = datetime(2026, 11, 20).date()
    MpesaReceipt.objects.update(created_at=datetime(2026, 11, 20, 12, tzinfo=daraja.NAIROBI))
    rec = statements.reconcile(numbers, datetime(2026, 11, 20, tzinfo=daraja.NAIROBI),
                               datetime(2026, 11, 20, 23, 59, tzinfo=daraja.NAIROBI))
    assert [line.receipt for line in rec.not_booked] == ["QST1U2V3W4"]
    assert [row.receipt for row in rec.not_in_statement] == ["TYPED00001"]
    assert [row.receipt for row in rec.amounts_differ] == ["QWE1R2T3Y4"]
    assert [line.amount for line in rec.withdrawals] == [Decimal("300.00")] and rec.covered
    table = reports.mpesa_reconciliation([numbers], day, day)
    issues = {r["reference"]: r["issue"] for r in table.rows if r["_class"] == "issue"}
    assert issues["QST1U2V3W4"].startswith("In the statement, not in the books")
    assert issues["TYPED00001"] == "Booked, not in the statement"
    assert issues["QWE1R2T3Y4"] == "Booked KES 500.00, M-Pesa received KES 450.00."

    owner = client_for("owner", client)
    page = owner.get(reverse("admin:reports:mpesa") + "?business=water&start=2026-11-20&end=2026-11-20")
    assert page.status_code == 200 and "Book to the inbox" in page.content.decode()
    line = rec.not_booked[0]
    owner.post(reverse("admin:payments:statement_book", args=[line.statement_id]), {"line": line.pk})
    row = MpesaReceipt.objects.get(receipt="QST1U2V3W4")
    assert (row.state, row.source, row.amount, row.account_reference) == ("unallocated", "statement",
                                                                          Decimal("1000.00"), "X9")
    assert balance(chart.MPESA) == Decimal("430") + 500 + 200 + 1000 - Decimal("10.35")


@pytest.mark.parametrize("content, message", [
    (b"just,some\ncsv,file\n", "This is not an M-Pesa statement"),
    (b'"Receipt No.","Completion Time","Details"\n', "lacks the column(s) Transaction Status, Paid In"),
    (statement_csv(money_in("QST1U2V3W4", "99:00:00", "10.00")), "is not a date and time"),
    (statement_csv(money_in("??", "10:00:00", "10.00")), "is not an M-Pesa receipt number"),
    (statement_csv(money_in("QST1U2V3W4", "10:00:00", "ten")), "is not an amount"),
    (statement_csv(money_in("QST1U2V3W4", "10:00:00", "1e400")), "is not an amount"),
    (b"\xff\xfe\x00garbage", "This is not an M-Pesa statement"),
])
def test_a_file_that_is_not_a_statement_is_refused_plainly(numbers, client, content, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    owner = client_for("owner", client)
    page = owner.post(reverse("admin:payments:statement_import"), {
        "business": "water", "statement": SimpleUploadedFile("s.csv", content, content_type="text/csv")})
    assert page.status_code == 200 and message in page.content.decode()
    assert not MpesaReceipt.objects.exists()
    staff = client_for("water_staff", client)
    assert staff.get(reverse("admin:payments:statement_import")).status_code == 403


# --- the invariant: every order of every report of one payment ------------------------------------

ORDERS = [(order, "paybill account" if i % 2 else "no account")
          for i, order in enumerate(itertools.permutations(["callback", "query", "c2b", "statement"]))]


@pytest.mark.parametrize("order, account", ORDERS, ids=[f"{'-'.join(o)}-{a}" for o, a in ORDERS])
def test_money_that_reached_the_till_is_booked_once_whatever_order_m_pesa_reports_it_in(
        numbers, client, monkeypatch, order, account):
    """One STK payment that M-Pesa reports four ways (its callback, STK Query without a receipt
    number, a C2B confirmation, the portal statement), in every order: one receipt, one payment,
    the till up by the amount once, the statement matched and nothing left to reconcile. The C2B
    confirmation and the statement carry the paybill account number in half the orders (it names
    the bill) and none in the others (the hashed phone and the amount must do)."""
    from modules.core.payments import statements
    from modules.core.payments.models import StatementLine

    bill = invoice(numbers, "450", phone="0712345678")
    request = pending(bill, phone="254712345678", shortcode="600984")
    paid = timezone.localtime(timezone.now(), daraja.NAIROBI).replace(microsecond=0)
    receipt = "QZX1C2V3B4"
    reference = bill.payable_reference if account == "paybill account" else ""

    class Query:
        def stk_query(self, checkout_request_id, *, pay_to=None):
            return daraja.StkQueryResult("success", 0, "The service request is processed successfully.")

    monkeypatch.setattr(stk, "get_client", lambda: Query())

    def callback():
        body = paid_body(request, receipt=receipt)
        body["Body"]["stkCallback"]["CallbackMetadata"]["Item"][3]["Value"] = int(f"{paid:%Y%m%d%H%M%S}")
        assert post(client, body).json()["ResultCode"] == 0

    def query():
        StkRequest.objects.filter(pk=request.pk, next_check_at__isnull=False).update(next_check_at=timezone.now())
        payments.check_stk_request(request.pk)

    def confirmation():
        body = {**c2b(receipt=receipt, amount="450.00", account=reference), "TransTime": f"{paid:%Y%m%d%H%M%S}"}
        assert confirm(client, body).json()["ResultCode"] == 0

    def statement():
        line = money_in(receipt, f"{paid:%H:%M:%S}", "450.00", account=reference, day=f"{paid:%d-%m-%Y}")
        statements.import_statement(numbers, statement_csv(line, closing="450.00"))

    for step in order:
        {"callback": callback, "query": query, "c2b": confirmation, "statement": statement}[step]()

    request.refresh_from_db()
    bill.refresh_from_db()
    row = MpesaReceipt.objects.get()
    assert (row.receipt, row.state, row.stk_request, request.status, request.mpesa_receipt) == (
        receipt, "allocated", request, "success", receipt)
    # payments are append-only: one booked before the number was known keeps none (the receipt row has it)
    assert Payment.objects.get().mpesa_receipt in (None, receipt) and bill.paid_at is not None
    assert (balance(chart.MPESA), balance(payments.MPESA_UNALLOCATED), balance(chart.RECEIVABLES)) == (
        Decimal("450.00"), Decimal("0.00"), Decimal("0.00"))
    assert StatementLine.objects.get(kind="payment").mpesa_receipt == row and row.confirmed_at is not None
    day = paid.date()
    rec = statements.reconcile(numbers, datetime.combine(day, datetime.min.time(), daraja.NAIROBI),
                               datetime.combine(day, datetime.max.time(), daraja.NAIROBI))
    assert (rec.issues, rec.statement_in, rec.books_in) == (0, Decimal("450.00"), Decimal("450.00"))
    assert not SecurityEvent.objects.exists()


def test_a_callback_naming_a_receipt_that_paid_another_bill_books_nothing(numbers, client):
    """A receipt number already placed on another document (its C2B account number named it) is not
    this request's money: the callback is refused and recorded, the till is up once."""
    first, second = invoice(numbers, "450"), invoice(numbers, "450")
    confirm(client, c2b(receipt="QZX1C2V3B5", amount="450.00", account=first.payable_reference))
    request = pending(second, phone="254712345678")
    assert post(client, paid_body(request, receipt="QZX1C2V3B5")).json()["ResultCode"] == 1
    request.refresh_from_db()
    second.refresh_from_db()
    assert (request.status, second.paid_at, MpesaReceipt.objects.get().stk_request) == ("pending", None, None)
    assert SecurityEvent.objects.filter(kind="mpesa.receipt_reused").exists()
    assert balance(chart.MPESA) == Decimal("450.00") and Payment.objects.count() == 1
