"""The accountant on a 390×844 phone: start a ledger export (always a background job), watch the
progress bar fill by htmx polling while an RQ worker writes the file, then download it."""

import csv
import io
import threading
import time
from decimal import Decimal
from io import StringIO

import django_rq
import pytest
from django.core.management import call_command
from django.db import connection

from modules.core.exports import streaming
from modules.core.exports.models import ExportJob
from modules.core.ledger.models import JournalLine
from tests.e2e.conftest import ARTIFACTS, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slow_chunks(monkeypatch, settings, tmp_path):
    """Small chunks with a pause each, so a few hundred rows take a few seconds: long enough to see
    the bar move between two polls."""
    settings.EXPORTS_ROOT = tmp_path / "exports"
    monkeypatch.setattr(streaming, "CHUNK", 100)
    original = streaming.iter_rows

    def paced(*args, **kwargs):
        for rows in original(*args, **kwargs):
            time.sleep(0.6)
            yield rows

    monkeypatch.setattr(streaming, "iter_rows", paced)


def run_worker():
    """Perform the queued RQ job in a thread (an RQ worker installs signal handlers, which only the
    main thread may do; the main thread is busy driving the browser)."""
    try:
        queue = django_rq.get_queue("default")
        for job in queue.jobs:
            queue.remove(job)
            job.perform()
    finally:
        connection.close()


def test_accountant_exports_the_ledger_in_the_background_and_downloads_it(live_server, stocked, phone, slow_chunks):
    call_command("generate_history", days=2, per_day=60, stdout=StringIO())
    lines = JournalLine.objects.count()
    assert lines > 500

    log_in(phone, live_server, "accountant")
    phone.goto(f"{live_server.url}/admin/desk/")
    phone.select_option("#id_kind", "ledger.journal_lines")
    phone.select_option("#id_file_format", "csv")
    button = phone.locator("[data-start-export]")
    box = button.bounding_box()
    assert box["height"] >= 44
    started = time.monotonic()
    button.click()
    card = phone.locator("[data-export]").first
    card.wait_for()
    assert time.monotonic() - started < 5  # the request only created the row and enqueued it
    job = ExportJob.objects.get(kind="ledger.journal_lines")
    assert job.status == "queued" and job.requested_by.username == "accountant"
    phone.screenshot(path=str(ARTIFACTS / "export-queued.png"))

    worker = threading.Thread(target=run_worker)
    worker.start()
    seen = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        card = phone.locator("[data-export]").first
        status = card.get_attribute("data-status")
        seen.add(int(card.locator("[role=progressbar]").get_attribute("aria-valuenow")))
        if status == "running" and 0 < max(seen) < 100 and not (ARTIFACTS / "export-running.png").exists():
            phone.screenshot(path=str(ARTIFACTS / "export-running.png"))
        if status == "done":
            break
        time.sleep(0.3)
    worker.join(timeout=60)
    assert phone.locator("[data-export]").first.get_attribute("data-status") == "done"
    assert any(0 < percent < 100 for percent in seen), f"the bar never showed progress: {sorted(seen)}"
    phone.screenshot(path=str(ARTIFACTS / "export-ready.png"))

    link = phone.locator("[data-download]").first
    assert link.bounding_box()["height"] >= 44
    with phone.expect_download() as info:
        link.click()
    download = info.value
    content = open(download.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(content)))
    assert len(rows) - 1 == lines
    header = rows[0]
    assert sum(Decimal(r[header.index("debit")]) for r in rows[1:]) == sum(
        Decimal(r[header.index("credit")]) for r in rows[1:])
    assert download.suggested_filename.startswith("ledger-journal_lines-") and download.suggested_filename.endswith(".csv")
    print(f"\n[exports] {lines} ledger lines exported in the background; progress seen: {sorted(seen)}")
