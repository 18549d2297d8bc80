"""Laundry: a job from drop-off to collection with the ledger balanced at every step, the status
board, cancellations through reversals, the daily overdue check, the customer's status check and
scoping to the laundry's own staff."""

import json
import threading
import uuid
from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fixtures.demo import seed
from modules.core.businesses.models import Business
from modules.core.inventory.models import Item
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account, JournalEntry
from modules.core.payments import services as payments
from modules.core.payments.models import Payment, StkRequest
from modules.core.registry import registry
from modules.core.registry.contract import Subscription
from modules.laundry import jobs, services
from modules.laundry.models import Job, JobEvent, OverdueDigest
from modules.laundry.resources import JobEventResource, JobLineResource, JobResource
from tests.conftest import PASSWORD
from tests import db_roles
from tests.integration.test_payments import wait_until

PUBLISHED = []  # payloads of laundry.overdue seen by the test subscriber below


def record_overdue(**payload):
    PUBLISHED.append(payload)


def laundry():
    return Business.objects.get(code="laundry")


def item(sku):
    return Item.objects.get(business__code="laundry", sku=sku)


def balance(code):
    return ledger.balance(Account.objects.get(business__code="laundry", code=code))


def assert_books_balance():
    totals = ledger.totals("laundry")
    assert totals["debit"] == totals["credit"]
    rows = ledger.trial_balance("laundry")
    assert sum(r["balance_debit"] for r in rows) == sum(r["balance_credit"] for r in rows)


def drop_off(kg="6", *, express=True, deposit="500", phone="0712 480 110", **kwargs):
    """6 kg wash & fold (900) + express (300) = KES 1,200 by default."""
    return services.create_job(laundry(), customer_phone=phone, customer_name="Achieng",
                               lines=[services.JobLineInput(item("L-WASH-KG").pk, Decimal(kg))], express=express,
                               deposit=deposit, notes="Red wine stain on the white shirt", **kwargs)


def staff(username="laundry_staff"):
    return User.objects.get(username=username)


@pytest.mark.django_db
def test_drop_off_with_a_deposit_books_the_sale_and_the_cash(demo):
    job = drop_off(user=staff())
    assert (job.ticket_number, job.total, job.vat, job.status) == ("LT-0001", Decimal("1200.00"),
                                                                   Decimal("165.52"), "received")
    assert [(line.item.sku, line.quantity, line.line_total) for line in job.lines.all()] == [
        ("L-WASH-KG", Decimal("6.000"), Decimal("900.00")), ("L-EXPRESS", Decimal("1.000"), Decimal("300.00"))]
    assert balance(chart.RECEIVABLES) == Decimal("700.00")
    assert balance(chart.CASH) == Decimal("500.00")
    assert balance(chart.SALES) == Decimal("1034.48") and balance(chart.VAT_PAYABLE) == Decimal("165.52")
    assert payments.amount_due(job) == Decimal("700.00")
    assert [e.kind for e in job.events.all()] == ["created", "payment"]
    assert all(e.user == staff() for e in job.events.all())
    assert_books_balance()
    # tickets run per business with no gaps
    assert [drop_off(deposit="0").number for _ in range(2)] == [2, 3]


@pytest.mark.django_db
def test_a_job_moves_through_every_status_and_is_collected_only_when_paid(demo):
    user = staff()
    job = drop_off(user=user)
    seen = []
    for _ in range(4):
        job = services.advance(job, user=user)
        seen.append(job.status)
    assert seen == ["washing", "drying", "finishing", "ready"] and job.ready_at is not None
    with pytest.raises(ValidationError, match="Take the balance of KES 700.00"):
        services.advance(job, user=user)
    with pytest.raises(ValidationError, match="give change"):
        services.take_payment(job, amount="800", user=user)
    services.take_payment(job, user=user)  # the balance, in cash
    job = services.advance(job, user=user)
    assert job.status == "collected" and job.collected_at is not None and job.paid_at is not None
    assert job.version == 1 + 1 + 4 + 1 + 1  # the deposit, four steps, the balance, the collection
    assert balance(chart.CASH) == Decimal("1200.00") and balance(chart.RECEIVABLES) == 0
    assert balance(chart.SALES) == Decimal("1034.48")
    history = [(e.kind, e.from_status, e.to_status) for e in job.events.all()]
    assert history == [("created", "", "received"), ("payment", "", ""), ("status", "received", "washing"),
                       ("status", "washing", "drying"), ("status", "drying", "finishing"),
                       ("status", "finishing", "ready"), ("payment", "", ""), ("status", "ready", "collected")]
    assert all(e.at and e.user == user for e in job.events.all())
    with pytest.raises(ValidationError, match="cannot move on"):
        services.advance(job, user=user)
    with pytest.raises(ValidationError, match="cannot be cancelled"):
        services.cancel_job(job, reason="Too late", user=user)
    assert_books_balance()


@pytest.mark.django_db
def test_a_second_tap_on_the_same_status_changes_nothing(demo):
    job = drop_off()
    services.advance(job, expected="received")
    with pytest.raises(services.JobChanged, match="already Washing"):
        services.advance(job, expected="received")
    job.refresh_from_db()
    assert job.status == "washing" and job.events.filter(kind="status").count() == 1


@pytest.mark.django_db
def test_the_same_drop_off_form_sent_twice_makes_one_job(demo):
    form = uuid.uuid4()
    first, again = drop_off(client_uuid=form), drop_off(client_uuid=form)
    assert first.pk == again.pk and Job.objects.count() == 1
    assert JournalEntry.objects.filter(business__code="laundry").count() == 2  # the sale and the deposit


@pytest.mark.django_db
def test_cancelling_reverses_the_sale_and_refunds_the_deposit_in_cash(demo):
    job = drop_off()
    services.advance(job)
    job = services.cancel_job(job, reason="Customer took it back", refund="cash", user=staff())
    assert job.status == "cancelled" and job.cancelled_at is not None
    for code in (chart.SALES, chart.VAT_PAYABLE, chart.RECEIVABLES, chart.CASH):
        assert balance(code) == 0, code
    original = Job.objects.get(pk=job.pk).sale_entry
    assert JournalEntry.objects.get(reversal_of=original).memo.startswith("Cancelled laundry ticket LT-0001")
    assert payments.amount_due(job) == 0
    with pytest.raises(ValidationError, match="cancelled"):
        services.take_payment(job, amount="1")
    with pytest.raises(ValidationError):
        services.cancel_job(job, reason="again")
    assert job.events.last().kind == "cancelled" and "refunded in cash" in job.events.last().note
    assert_books_balance()


@pytest.mark.django_db
def test_cancelling_can_keep_the_deposit_as_customer_credit(demo):
    job = services.cancel_job(drop_off(deposit="300"), reason="Will come back next week", refund="credit")
    assert balance(chart.CUSTOMER_CREDIT) == Decimal("300.00") and balance(chart.CASH) == Decimal("300.00")
    assert balance(chart.SALES) == 0 and balance(chart.RECEIVABLES) == 0
    assert job.status == "cancelled"
    assert_books_balance()


@pytest.mark.django_db
def test_an_mpesa_payment_through_the_payments_core_settles_the_job(demo):
    job = drop_off(deposit="0", express=False)  # 900
    payments.record_payment(job, method="mpesa", amount="900", payer_phone="254712480110", mpesa_receipt="QKX1")
    job.refresh_from_db()
    assert job.paid_at is not None and balance(chart.MPESA) == Decimal("900.00") and balance(chart.RECEIVABLES) == 0
    for _ in range(5):
        job = services.advance(job)
    assert job.status == "collected"
    assert_books_balance()


@pytest.mark.django_db
def test_bad_drop_offs_are_refused(demo):
    with pytest.raises(ValidationError, match="more than the job"):
        drop_off(deposit="5000")
    with pytest.raises(ValidationError, match="at least one"):
        services.create_job(laundry(), customer_phone="0712480110", lines=[])
    water_item = Item.objects.get(sku="W-REFILL-20")
    with pytest.raises(ValidationError, match="not offered"):
        services.create_job(laundry(), customer_phone="0712480110",
                            lines=[services.JobLineInput(water_item.pk, Decimal("1"))])
    assert not Job.objects.exists() and not JournalEntry.objects.exists()


@pytest.mark.django_db
def test_the_daily_check_publishes_overdue_and_uncollected_jobs_once(demo, monkeypatch,
                                                                    django_capture_on_commit_callbacks):
    now = timezone.now()
    subscriptions = registry.subscriptions
    monkeypatch.setattr(registry, "subscriptions", lambda event: (
        [Subscription("laundry.overdue", "tests.integration.test_laundry.record_overdue")]
        if event == "laundry.overdue" else subscriptions(event)))
    PUBLISHED.clear()
    late = drop_off(promised_at=now - timedelta(hours=3), at=now - timedelta(days=2))
    on_time = drop_off(promised_at=now + timedelta(hours=3))
    waiting = drop_off(deposit="1200", at=now - timedelta(days=10), promised_at=now - timedelta(days=9))
    for _ in range(4):
        services.advance(waiting, at=now - timedelta(days=8))
    ready_today = drop_off(deposit="1200", promised_at=now - timedelta(hours=1))
    for _ in range(4):
        services.advance(ready_today)
    assert list(services.overdue_jobs(laundry())) == [late]
    with django_capture_on_commit_callbacks(execute=True):
        result = jobs.daily_overdue()
    assert result["overdue"] == [late.pk] and result["uncollected"] == [waiting.pk]
    assert PUBLISHED == [{"business": "laundry", "day": timezone.localdate().isoformat(), "overdue_count": 1,
                          "overdue_job_ids": [late.pk], "uncollected_count": 1, "uncollected_job_ids": [waiting.pk]}]
    json.dumps(PUBLISHED[0])  # JSON-safe for the notifications service
    with django_capture_on_commit_callbacks(execute=True):
        jobs.daily_overdue()  # a second run the same day announces nothing new
    assert len(PUBLISHED) == 1 and OverdueDigest.objects.count() == 1
    assert on_time.pk not in result["overdue"]
    schedule = next(s for s in registry.schedules() if s.name == "laundry.daily_overdue")
    assert schedule.cron == "0 8 * * *" and schedule.job == "modules.laundry.jobs.daily_overdue"


@pytest.mark.django_db
def test_a_customer_checks_status_with_ticket_and_last_four_digits_or_the_whole_number(demo):
    job = drop_off(phone="0712 480 110")
    status = services.job_status_for_customer("LT-0001", "0110")
    assert status == {"ticket": "LT-0001", "business": "Laundry", "status": "received", "status_label": "Received",
                      "promised": timezone.localtime(job.promised_at).isoformat(), "ready": False, "ready_at": None,
                      "collected": False, "collected_at": None, "balance": "700.00"}
    json.dumps(status)
    assert services.job_status_for_customer("lt1", "0110")["ticket"] == "LT-0001"
    assert services.job_status_for_customer("LT-0001", "0111") is None  # wrong phone
    assert services.job_status_for_customer("LT-0099", "0110") is None  # no such ticket
    assert services.job_status_for_customer("", "") is None
    for _ in range(20):  # wrong guesses never shut the real customer out (the public site rate-limits)
        services.job_status_for_customer("LT-0001", "9999")
    assert services.job_status_for_customer("LT-0001", "0110")["ticket"] == "LT-0001"
    assert services.job_status_for_customer("LT-0001", "+254 712 480 110")["ticket"] == "LT-0001"  # the whole number
    assert services.job_status_for_customer("LT-0001", "0799 990 110") is None  # same last 4 digits, other phone


@pytest.mark.django_db
def test_the_board_groups_by_status_highlights_overdue_and_advances_in_one_tap(login):
    late = drop_off(promised_at=timezone.now() - timedelta(hours=2))
    fine = drop_off(deposit="0")
    client = login("laundry_staff")
    page = client.get(reverse("admin:laundry:board")).content.decode()
    assert f'data-job="{late.ticket_number}" data-overdue' in page
    assert f'data-job="{fine.ticket_number}" data-overdue' not in page
    assert 'data-column="received"' in page and "1 overdue" in page
    url = reverse("admin:laundry:advance", args=[late.pk])
    response = client.post(url, {"expected": "received", "next": reverse("admin:laundry:board")})
    assert response.status_code == 302 and response["Location"] == reverse("admin:laundry:board")
    again = client.post(url, {"expected": "received", "next": "https://evil.example/"})
    assert again["Location"] == reverse("admin:laundry:job", args=[late.pk])  # no open redirect
    late.refresh_from_db()
    assert late.status == "washing" and late.events.filter(kind="status").count() == 1
    assert client.get(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff())
    assert strict.post(url, {"expected": "washing"}).status_code == 403
    late.refresh_from_db()
    assert late.status == "washing"


@pytest.mark.django_db
def test_drop_off_and_pickup_through_the_pages(login):
    client = login("laundry_staff")
    assert client.get(reverse("admin:laundry:new_job")).status_code == 200
    form = {"uuid": str(uuid.uuid4()), "phone": "0722 301 452", "name": "Kamau", f"qty-{item('L-SUIT').pk}": "2",
            "express": "1", "notes": "Tear on the left pocket", "deposit": "500", "method": "cash"}
    response = client.post(reverse("admin:laundry:new_job"), form)
    job = Job.objects.get()
    assert response["Location"] == reverse("admin:laundry:ticket", args=[job.pk])
    assert client.post(reverse("admin:laundry:new_job"), form).status_code == 302 and Job.objects.count() == 1
    assert (job.total, job.customer_phone, job.express) == (Decimal("1500.00"), "254722301452", True)
    ticket = client.get(response["Location"]).content.decode()
    assert "LT-0001" in ticket and "wa.me/254722301452" in ticket
    for status in ["received", "washing", "drying", "finishing"]:
        client.post(reverse("admin:laundry:advance", args=[job.pk]), {"expected": status})
    page = client.get(reverse("admin:laundry:job", args=[job.pk])).content.decode()
    assert "Take the balance before handing over" in page and "data-timeline" in page
    client.post(reverse("admin:laundry:advance", args=[job.pk]), {"expected": "ready"})
    job.refresh_from_db()
    assert job.status == "ready"  # not collected: KES 1,000 still due
    client.post(reverse("admin:laundry:pay_cash", args=[job.pk]), {"amount": "1000"})
    client.post(reverse("admin:laundry:advance", args=[job.pk]), {"expected": "ready"})
    job.refresh_from_db()
    assert job.status == "collected" and balance(chart.CASH) == Decimal("1500.00")
    assert Payment.objects.filter(method="cash").count() == 2
    assert_books_balance()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["water_staff", "shop_staff"])
def test_other_businesses_staff_cannot_see_or_touch_laundry_jobs(login, username):
    job = drop_off()
    client = login(username)
    for name in ["job", "ticket"]:
        assert client.get(reverse(f"admin:laundry:{name}", args=[job.pk])).status_code == 403
    for name in ["board", "new_job"]:
        assert client.get(reverse(f"admin:laundry:{name}")).status_code == 403
    for name, data in [("advance", {"expected": "received"}), ("pay_cash", {"amount": "700"}),
                       ("pay_mpesa", {}), ("cancel", {"reason": "x"})]:
        assert client.post(reverse(f"admin:laundry:{name}", args=[job.pk]), data).status_code == 403
    assert client.get(reverse("admin:laundry_job_changelist")).status_code == 403
    assert client.get(reverse("admin:laundry_job_change", args=[job.pk])).status_code == 403
    assert client.get(reverse("admin:laundry_jobevent_changelist")).status_code == 403
    job.refresh_from_db()
    assert job.status == "received" and payments.amount_paid(job) == Decimal("500.00")


@pytest.mark.django_db
def test_scoping_by_business_even_with_laundry_permissions(login):
    """A user with every laundry permission but scoped to water sees no laundry job by list, URL or id."""
    from django.contrib.auth.models import Group

    job = drop_off()
    water = staff("water_staff")
    water.user_permissions.set(Group.objects.get(name="Laundry staff").permissions.all())
    client = login("water_staff")
    listing = client.get(reverse("admin:laundry_job_changelist"))
    assert listing.status_code == 200 and "LT-0001" not in listing.content.decode()
    assert client.get(reverse("admin:laundry_job_change", args=[job.pk])).status_code == 403
    assert client.get(reverse("admin:laundry:job", args=[job.pk])).status_code == 403
    assert client.get(reverse("admin:laundry:board")).status_code == 403
    assert client.post(reverse("admin:laundry:advance", args=[job.pk]), {}).status_code == 403
    job.refresh_from_db()
    assert job.status == "received"


@pytest.mark.django_db
def test_the_accountant_reads_but_cannot_move_jobs_and_staff_cannot_cancel(login):
    job = drop_off()
    accountant = login("accountant")
    assert accountant.get(reverse("admin:laundry:board")).status_code == 200
    assert accountant.get(reverse("admin:laundry:job", args=[job.pk])).status_code == 200
    assert accountant.post(reverse("admin:laundry:advance", args=[job.pk]), {}).status_code == 403
    assert accountant.get(reverse("admin:laundry:new_job")).status_code == 403
    laundry_staff = login("laundry_staff")
    assert laundry_staff.post(reverse("admin:laundry:cancel", args=[job.pk]), {"reason": "x"}).status_code == 403
    owner = login("owner")
    owner.post(reverse("admin:laundry:cancel", args=[job.pk]), {"reason": "Customer changed mind", "refund": "cash"})
    job.refresh_from_db()
    assert job.status == "cancelled" and balance(chart.CASH) == 0


@pytest.mark.django_db
def test_widgets_show_status_counts_ready_takings_and_overdue(login):
    drop_off(promised_at=timezone.now() - timedelta(hours=1))  # overdue, 500 cash
    ready = drop_off(deposit="1200")
    for _ in range(4):
        services.advance(ready)
    client = login("laundry_staff")
    body = {key: client.get(reverse("admin:widget", args=[f"laundry.{key}"])).content.decode()
            for key in ["by_status", "ready", "takings", "overdue", "prices"]}
    assert 'data-count="Received">1<' in body["by_status"] and 'data-count="Ready">1<' in body["by_status"]
    assert "data-ready-count>1<" in body["ready"]
    assert "KES 1,700.00" in body["takings"]
    assert 'data-overdue-count="1"' in body["overdue"]
    assert "Curtains, per panel" in body["prices"]


@pytest.mark.django_db
def test_exports_for_the_accountant(demo):
    job = drop_off()
    services.advance(job)
    exported = JobResource().export()
    assert exported.dict[0]["ticket"] == "LT-0001" and exported.dict[0]["total"] == "1200.00"
    assert [row["sku"] for row in JobLineResource().export().dict] == ["L-WASH-KG", "L-EXPRESS"]
    assert [row["kind"] for row in JobEventResource().export().dict] == ["created", "payment", "status"]
    assert "LT-0001" in JobResource().export().csv
    services.create_job(laundry(), customer_phone="0712480110", notes="=HYPERLINK(\"http://x\")",
                        lines=[services.JobLineInput(item("L-SUIT").pk, Decimal("1"))])
    assert JobResource().export().dict[0]["notes"].startswith("'=")  # never a formula in a spreadsheet
    from modules.core.exports.specs import spec
    assert spec("laundry.jobevent").model is JobEvent and spec("laundry.job").model is Job


@pytest.mark.django_db
def test_history_cannot_be_edited_by_the_model(demo):
    event = drop_off().events.first()
    event.note = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


@pytest.mark.django_db(transaction=True)
def test_the_app_role_may_only_insert_job_history():
    seed(PASSWORD, opening_stock=False)
    drop_off()
    with db_roles.connect("app") as app:
        assert app.execute("SELECT count(*) FROM laundry_jobevent").fetchone() == (2,)
        for sql in ["UPDATE laundry_jobevent SET note = 'x'", "DELETE FROM laundry_jobevent",
                    "UPDATE laundry_jobline SET quantity = 1"]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(sql)
        app.execute("UPDATE laundry_job SET notes = notes")  # the job itself moves on


@pytest.mark.django_db
def test_demo_data_has_believable_jobs_in_every_status(db):
    seed(PASSWORD, activity=True)
    statuses = set(Job.objects.values_list("status", flat=True))
    assert statuses == {s for s, _ in Job.Status.choices}
    assert services.overdue_jobs(laundry()).exists() and services.uncollected_jobs(laundry()).exists()
    assert JobEvent.objects.filter(user__username="laundry_staff").count() == JobEvent.objects.count()
    assert_books_balance()
    before = Job.objects.count()
    seed(PASSWORD)  # idempotent
    assert Job.objects.count() == before


@pytest.fixture
def mpesa(daraja_simulator):
    return daraja_simulator


@pytest.mark.django_db(transaction=True)
def test_an_mpesa_deposit_at_drop_off_and_the_balance_by_mpesa(mpesa):
    seed(PASSWORD, opening_stock=False)
    client = Client()
    client.force_login(staff())
    response = client.post(reverse("admin:laundry:new_job"), {
        "uuid": str(uuid.uuid4()), "phone": "0712 480 110", f"qty-{item('L-DUVET').pk}": "2",
        "deposit": "500", "method": "mpesa"})  # phone ending in 0: the simulated customer pays
    job, stk = Job.objects.get(), StkRequest.objects.get()
    assert response["Location"] == reverse("admin:payments:stk_wait", args=[stk.pk]) and stk.amount == 500
    wait_until(lambda: StkRequest.objects.get(pk=stk.pk).is_final)
    assert payments.amount_paid(job) == Decimal("500.00") and balance(chart.MPESA) == Decimal("500.00")
    waiting = client.get(reverse("admin:payments:stk_status", args=[stk.pk])).content.decode()
    assert f'href="{reverse("admin:laundry:job", args=[job.pk])}"' in waiting  # Continue goes back to the job
    response = client.post(reverse("admin:laundry:pay_mpesa", args=[job.pk]), {"phone": "0712480110"})
    second = StkRequest.objects.exclude(pk=stk.pk).get()
    assert second.amount == 1100 and response["Location"] == reverse("admin:payments:stk_wait", args=[second.pk])
    wait_until(lambda: StkRequest.objects.get(pk=second.pk).is_final)
    job.refresh_from_db()
    assert job.paid_at is not None and balance(chart.MPESA) == Decimal("1600.00") and balance(chart.RECEIVABLES) == 0
    timeline = client.get(reverse("admin:laundry:job", args=[job.pk])).content.decode()
    assert timeline.count("M-Pesa KES") == 2
    assert_books_balance()


def in_threads(target, count=8):
    errors = []

    def run(i):
        try:
            target(i)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_drop_offs_and_taps_keep_tickets_gapless_and_history_single():
    seed(PASSWORD, opening_stock=False)
    form = uuid.uuid4()
    assert in_threads(lambda i: drop_off(deposit="0", client_uuid=form if i % 2 else None)) == []
    assert sorted(Job.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5]  # 4 forms + 1 sent 4 times
    job = Job.objects.get(number=1)
    errors = in_threads(lambda i: services.advance(job, expected="received", user=staff()))
    assert len(errors) == 7 and all(isinstance(e, services.JobChanged) for e in errors)
    job.refresh_from_db()
    assert job.status == "washing" and job.events.filter(kind="status").count() == 1 and job.version == 2
    assert_books_balance()
