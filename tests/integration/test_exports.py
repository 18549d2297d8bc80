"""The accountant's desk: exports that are formula-safe, scoped, audited, and background when large."""

import csv
import io
import uuid
from datetime import timedelta
from decimal import Decimal

import django_rq
import psycopg
import pytest
from django.contrib.auth.models import User
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rq.worker import SimpleWorker

from modules.core.businesses.models import Business
from modules.core.exports import jobs, services, streaming
from modules.core.exports.models import ExportJob
from modules.core.exports.safety import inert
from modules.core.exports.specs import all_specs, spec, specs_for
from modules.core.inventory.models import Item
from modules.core.inventory.resources import ItemResource
from modules.core.ledger.models import JournalLine
from modules.core.sales import services as sales
from modules.core.sales.models import Sale
from tests.db_urls import database_url

DANGEROUS = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\tTabbed",
             "\rReturned"]


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path / "exports"
    return settings.EXPORTS_ROOT


def work():
    """Run every queued job in this process, as the RQ worker would."""
    django_rq.get_worker("default", worker_class=SimpleWorker).work(burst=True)


def read_csv(content: bytes):
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def read_xlsx(content: bytes):
    return load_workbook(io.BytesIO(content)).worksheets[0]


def dangerous_items():
    water = Business.objects.get(code="water")
    for n, name in enumerate(DANGEROUS):
        Item.objects.create(business=water, sku=f"ZZ-{n}", name=name, selling_price=Decimal("1500.50"), unit="piece")


def sell(sku, quantity=1):
    item = Item.objects.get(sku=sku)
    sale, _ = sales.create_sale(business=item.business, client_uuid=uuid.uuid4(),
                                lines=[sales.SaleLineInput(item.pk, quantity)])
    return sale


# --- formula safety -----------------------------------------------------------------------------

def test_inert_quotes_each_dangerous_prefix_and_leaves_numbers_alone():
    for value in DANGEROUS:
        assert inert(value) == "'" + value
    assert inert("-1500.00") == "-1500.00" and inert("1,500") == "1,500"
    assert inert("Water 20 L") == "Water 20 L" and inert(Decimal("-5")) == Decimal("-5") and inert(None) is None


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_desk_export_makes_each_dangerous_prefix_inert_and_keeps_money_numeric(login, file_format):
    dangerous_items()
    client = login("accountant")
    response = client.post(reverse("admin:exports:desk"), {"kind": "inventory.items", "business": "water",
                                                           "file_format": file_format})
    assert response.status_code == 200, response.content[:500]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if file_format == "csv":
        rows = read_csv(content)
        header = rows[0]
        by_sku = {row[header.index("sku")]: row for row in rows[1:]}
        for n, name in enumerate(DANGEROUS):
            row = by_sku[f"ZZ-{n}"]
            assert row[header.index("name")] == "'" + name
            assert row[header.index("selling_price")] == "1500.50"  # a plain number, never quoted
    else:
        sheet = read_xlsx(content)
        header = [c.value for c in sheet[1]]
        by_sku = {row[header.index("sku")].value: row for row in sheet.iter_rows(min_row=2)}
        for n, name in enumerate(DANGEROUS):
            row = by_sku[f"ZZ-{n}"]
            cell = row[header.index("name")]
            # XML reads a carriage return back as a line feed; the cell still starts with the quote
            assert cell.value == ("'" + name).replace("\r", "\n") and cell.data_type == "s"
            price = row[header.index("selling_price")]
            assert price.data_type == "n" and Decimal(str(price.value)) == Decimal("1500.50")
    audit = ExportJob.objects.get(kind="inventory.items")
    assert (audit.requested_by.username, audit.mode, audit.filters["business"], audit.rows_done) == (
        "accountant", "inline", "water", Item.objects.filter(business__code="water").count())
    logged = audit.log_entry  # the append-only trail
    assert (logged.user.username, logged.kind, logged.mode, logged.filters, logged.at) == (
        "accountant", "inventory.items", "inline", audit.filters, audit.created_at)


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_admin_list_export_is_inert_numeric_and_audited(login, file_format):
    dangerous_items()
    client = login("owner")
    url = reverse("admin:inventory_item_export") + "?business__id__exact=" + str(Business.objects.get(code="water").pk)
    page = client.get(url)
    assert page.status_code == 200 and b"Export" in page.content
    response = client.post(url, {"format": "0" if file_format == "csv" else "1", "resource": "0"})
    assert response.status_code == 200, response.content[:800]
    if file_format == "csv":
        rows = read_csv(response.content)
        header = rows[0]
        names = {row[header.index("name")] for row in rows[1:]}
        assert {"'" + name for name in DANGEROUS} <= names
        assert not names & set(DANGEROUS)
        prices = {row[header.index("selling_price")] for row in rows[1:] if row[header.index("sku")].startswith("ZZ")}
        assert prices == {"1500.50"}
    else:
        sheet = read_xlsx(response.content)
        header = [c.value for c in sheet[1]]
        rows = [r for r in sheet.iter_rows(min_row=2) if str(r[header.index("sku")].value).startswith("ZZ")]
        assert {r[header.index("name")].value for r in rows} == {("'" + n).replace("\r", "\n") for n in DANGEROUS}
        assert all(r[header.index("selling_price")].data_type == "n" for r in rows)
    assert ExportJob.objects.filter(mode="admin", requested_by__username="owner", kind="inventory.items").exists()


@pytest.mark.django_db
def test_programmatic_resource_export_is_inert_too(demo):
    dangerous_items()
    dataset = ItemResource().export(Item.objects.filter(sku__startswith="ZZ").order_by("sku"))
    assert list(dataset["name"]) == ["'" + name for name in DANGEROUS]
    native = ItemResource().export(Item.objects.filter(sku="ZZ-0"), force_native_type=True)
    assert native["selling_price"][0] == Decimal("1500.50")


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_background_export_writes_inert_cells(demo, file_format):
    dangerous_items()
    owner = User.objects.get(username="owner")
    job = services.start_export(owner, spec("inventory.items"), file_format, {"business": "water"})
    services.run(ExportJob.objects.get(pk=job.pk))
    content = services.file_of(ExportJob.objects.get(pk=job.pk)).read_bytes()
    if file_format == "csv":
        names = {row[3] for row in read_csv(content)[1:]}
    else:
        names = {row[3].value.replace("\n", "\r") for row in read_xlsx(content).iter_rows(min_row=2)}
    assert {"'" + name for name in DANGEROUS} <= names and not names & set(DANGEROUS)


# --- what can be exported -------------------------------------------------------------------------

CORE_KEYS = {"ledger.journal_lines", "ledger.journal_entries", "sales.sales", "sales.sale_lines", "customers.customers",
             "payments.payments", "payments.mpesa", "inventory.movements", "inventory.items", "purchasing.orders",
             "purchasing.order_lines", "purchasing.bills"}


@pytest.mark.django_db
def test_every_resource_streams_the_same_rows_as_import_export(stocked):
    sell("W-SACHET", 3)
    keys = {s.key for s in all_specs()}
    assert CORE_KEYS <= keys
    owner = User.objects.get(username="owner")
    for each in all_specs():
        queryset = services.scoped_queryset(each, owner, {})
        resource = each.resource_class()
        out = io.StringIO()
        count = streaming.write(resource, queryset, "csv", out)
        rows = list(csv.reader(io.StringIO(out.getvalue())))
        assert rows[0] == resource.get_export_headers(), each.key
        assert count == len(rows) - 1 == queryset.count(), each.key
        xlsx = io.BytesIO()
        assert streaming.write(resource, queryset, "xlsx", xlsx) == count


@pytest.mark.django_db
def test_business_module_resources_plug_in_by_convention(demo):
    keys = {s.key for s in all_specs()}
    assert "laundry.job" in keys  # modules/laundry/resources.py declares no EXPORTS: found by convention


@pytest.mark.django_db
def test_sale_receipt_numbers_stream_from_sql_like_the_model(stocked):
    sale = sell("W-SACHET", 2)
    owner = User.objects.get(username="owner")
    each = spec("sales.sales")
    _, paths, _ = streaming.plan(each.resource_class())
    assert paths is not None  # fast path
    out = io.StringIO()
    streaming.write(each.resource_class(), services.scoped_queryset(each, owner, {}), "csv", out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[1][rows[0].index("receipt")] == sale.receipt_number == "W-000001"
    assert rows[1][rows[0].index("total")] == "20.00"


# --- scoping and permissions --------------------------------------------------------------------

@pytest.mark.django_db
def test_staff_exports_only_their_business(stocked, login):
    sell("W-SACHET")
    laundry_item = Item.objects.filter(business__code="laundry").first()
    sales.create_sale(business=laundry_item.business, client_uuid=uuid.uuid4(),
                      lines=[sales.SaleLineInput(laundry_item.pk, 1)])
    client = login("water_staff")
    user = User.objects.get(username="water_staff")
    assert {s.key for s in specs_for(user)} >= {"sales.sales", "inventory.items"}
    response = client.post(reverse("admin:exports:desk"), {"kind": "sales.sales", "file_format": "csv"})
    assert response.status_code == 200
    rows = read_csv(response.content)
    assert {row[rows[0].index("business")] for row in rows[1:]} == {"water"}
    # another business by the form: refused
    response = client.post(reverse("admin:exports:desk"), {"kind": "sales.sales", "business": "laundry",
                                                           "file_format": "csv"})
    assert response.status_code == 200 and b"Select a valid choice" in response.content
    with pytest.raises(Exception):
        services.clean_filters(user, spec("sales.sales"), {"business": "laundry"})
    # and by the queryset, whatever the filters say
    queryset = services.scoped_queryset(spec("sales.sales"), user, {"business": ""})
    assert set(queryset.values_list("business__code", flat=True)) == {"water"}


@pytest.mark.django_db
def test_accountant_can_export_but_not_import(login):
    client = login("accountant")
    assert client.get(reverse("admin:exports:desk")).status_code == 200
    assert client.get(reverse("admin:exports:import")).status_code == 403
    assert client.post(reverse("admin:exports:import")).status_code == 403
    assert client.post(reverse("admin:exports:import_confirm"), {"token": "x"}).status_code == 403
    assert client.get(reverse("admin:inventory_item_export")).status_code == 200
    changelist = client.get(reverse("admin:ledger_journalentry_changelist"))
    assert reverse("admin:ledger_journalentry_export").encode() in changelist.content  # the list's Export button
    assert client.get(reverse("admin:inventory_item_changelist")).status_code == 200


# --- background jobs ----------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_ledger_export_runs_in_the_background_then_downloads_privately(stocked, login):
    sell("W-SACHET", 5)
    client = login("accountant")
    today = timezone.localdate()
    response = client.post(reverse("admin:exports:desk"), {
        "kind": "ledger.journal_lines", "start": (today - timedelta(days=3)).isoformat(), "end": today.isoformat(),
        "file_format": "csv"})
    assert response.status_code == 302  # created the row, enqueued, done
    job = ExportJob.objects.get(kind="ledger.journal_lines")
    assert (job.status, job.mode, job.filters) == ("queued", "background", {
        "business": "", "start": (today - timedelta(days=3)).isoformat(), "end": today.isoformat()})
    progress = client.get(reverse("admin:exports:progress", args=[job.pk]))
    assert b"hx-get" in progress.content and b'data-status="queued"' in progress.content

    work()
    job.refresh_from_db()
    lines = JournalLine.objects.filter(entry__date__gte=today - timedelta(days=3), entry__date__lte=today)
    assert job.status == "done" and job.rows_done == lines.count() > 0
    assert job.expires_at > timezone.now() + timedelta(hours=23)
    progress = client.get(reverse("admin:exports:progress", args=[job.pk]))
    assert b"hx-get" not in progress.content and b"data-download" in progress.content

    download = client.get(reverse("admin:exports:download", args=[job.pk]))
    assert download.status_code == 200
    rows = read_csv(b"".join(download.streaming_content))
    header = rows[0]
    debit = sum(Decimal(r[header.index("debit")]) for r in rows[1:])
    credit = sum(Decimal(r[header.index("credit")]) for r in rows[1:])
    totals = lines.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert debit == credit == totals["d"] == totals["c"]
    assert {"account_code", "account_name", "business", "source_type", "source_id"} <= set(header)

    # private: the owner (who sees everything) still cannot fetch someone else's file
    owner = login("owner")
    assert owner.get(reverse("admin:exports:download", args=[job.pk])).status_code == 404
    assert owner.get(reverse("admin:exports:progress", args=[job.pk])).status_code == 404

    # expiry: the link dies, the cleanup job deletes the file
    path = services.file_of(job)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client = login("accountant")
    assert client.get(reverse("admin:exports:download", args=[job.pk])).status_code == 404
    result = jobs.cleanup()
    assert result["expired"] == 1 and not path.exists()
    assert ExportJob.objects.get(pk=job.pk).status == "expired"


@pytest.mark.django_db(transaction=True)
def test_a_big_export_goes_to_the_background_and_a_small_one_does_not(stocked, login, settings):
    settings.EXPORTS_INLINE_MAX_ROWS = 3
    client = login("accountant")
    small = client.post(reverse("admin:exports:desk"), {"kind": "purchasing.bills", "file_format": "csv"})
    assert small.status_code == 200 and small["Content-Disposition"].startswith("attachment")
    big = client.post(reverse("admin:exports:desk"), {"kind": "inventory.items", "file_format": "xlsx"})
    assert big.status_code == 302
    job = ExportJob.objects.get(kind="inventory.items")
    work()
    job.refresh_from_db()
    assert job.status == "done" and job.rows_done == Item.objects.count()
    sheet = read_xlsx(services.file_of(job).read_bytes())
    assert sheet.max_row == Item.objects.count() + 1
    # the admin list sends a big export to the desk instead of building it in the request
    response = client.post(reverse("admin:inventory_item_export"), {"format": "0", "resource": "0"})
    assert response.status_code == 302 and "kind=inventory.items" in response["Location"]
    response = client.post(reverse("admin:ledger_journalentry_export"), {"format": "0", "resource": "0"})
    assert response.status_code == 302 and "kind=ledger.journal_entries" in response["Location"]


@pytest.mark.django_db(transaction=True)
def test_resume_restarts_runs_whose_worker_died_and_requeues_jobs_lost_with_redis(demo):
    """A run's liveness is its advisory lock, held by the running process's own PostgreSQL session:
    another real connection stands for a live worker, and closing it is what kill -9 does."""
    owner = User.objects.get(username="owner")
    lost = services.start_export(owner, spec("inventory.items"), "csv", {})
    django_rq.get_connection("default").flushdb()  # Redis lost the queue
    ExportJob.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=20))

    def running(attempts):
        return ExportJob.objects.create(requested_by=owner, kind="inventory.items", label="x", status="running",
                                        started_at=timezone.now() - timedelta(minutes=3), attempts=attempts)

    dead, alive, hopeless = running(1), running(1), running(jobs.MAX_ATTEMPTS)
    worker = psycopg.connect(database_url(), autocommit=True)  # a live run of `alive`
    worker.execute("SELECT pg_advisory_lock(%s, %s)", [jobs.LOCK_CLASS, alive.pk])
    try:
        assert jobs.resume() == {"restarted": 2, "requeued": 1}  # dead and hopeless; lost
        assert jobs.run_export(alive.pk) == "already running"
        work()
        assert ExportJob.objects.get(pk=alive.pk).status == "running", "a live run was doubled"
    finally:
        worker.close()  # the worker dies: its lock goes with its connection
    dead.refresh_from_db(), hopeless.refresh_from_db()
    assert ExportJob.objects.get(pk=lost.pk).status == "done"
    assert (dead.status, dead.attempts, dead.rows_done) == ("done", 2, Item.objects.count())
    assert (hopeless.status, hopeless.error) == ("failed", jobs.STOPPED)
    assert jobs.resume() == {"restarted": 1, "requeued": 0}  # alive's worker is gone now
    work()
    assert ExportJob.objects.get(pk=alive.pk).status == "done"
    assert len(list(services.exports_root().glob(f"{alive.pk}-*"))) == 1
    assert jobs.resume() == {"restarted": 0, "requeued": 0}


@pytest.mark.django_db(transaction=True)
def test_cleanup_fails_a_run_that_hangs_past_the_timeout(demo):
    owner = User.objects.get(username="owner")
    stuck = ExportJob.objects.create(requested_by=owner, kind="inventory.items", label="x", status="running",
                                     started_at=timezone.now() - timedelta(hours=5), attempts=1)
    assert jobs.cleanup()["stuck"] == 1
    assert ExportJob.objects.get(pk=stuck.pk).status == "failed"


@pytest.mark.django_db(transaction=True)
def test_a_job_runs_once_however_often_it_is_enqueued(demo):
    owner = User.objects.get(username="owner")
    job = services.start_export(owner, spec("inventory.items"), "csv", {})
    services.enqueue(job.pk)
    work()
    assert jobs.run_export(job.pk) == "already taken"
    assert ExportJob.objects.get(pk=job.pk).status == "done"
    assert len(list(services.exports_root().glob(f"{job.pk}-*"))) == 1


@pytest.mark.django_db
def test_an_export_fails_cleanly_when_the_user_lost_the_right(demo):
    owner = User.objects.get(username="water_staff")
    job = services.start_export(owner, spec("inventory.items"), "csv", {})
    owner.groups.clear()
    with pytest.raises(Exception):
        jobs.run_export(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "may no longer export" in job.error
