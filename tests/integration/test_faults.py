"""Faults a seller meets, for real: PostgreSQL dropping the connection mid-request answers a clear 503
"try again" (never a 500, never half a sale) and the retry sells once; a full media volume (a real
1 MB tmpfs) fails an export with a plain message while sales go on. The long versions against
gunicorn with 20 clients are in ops/bench/faults.py."""

import json
import subprocess
import uuid
from decimal import Decimal

import django_rq
import psycopg
import pytest
from django.core.signals import request_started
from django.db import connection
from rq.worker import SimpleWorker

from modules.core.exports import services as exports
from modules.core.exports.models import ExportJob
from modules.core.exports.specs import spec
from modules.core.inventory.models import Item
from modules.core.ledger.models import JournalEntry
from modules.core.sales.models import Sale
from tests.db_urls import database_url

SUBMIT = "/admin/sales/quick/submit/"


def sale_body(sale_uuid):
    item = Item.objects.get(sku="W-REFILL-20")
    return json.dumps({"business": "water", "uuid": str(sale_uuid), "method": "cash",
                       "lines": [{"item": item.pk, "quantity": 1}]})


@pytest.mark.django_db(transaction=True)
def test_the_database_going_away_mid_request_answers_503_and_the_retry_sells_once(stocked, client):
    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username="water_staff"))
    sale_uuid = uuid.uuid4()

    def drop_my_connection(**_):
        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        with psycopg.connect(database_url(), autocommit=True) as other:  # what a restart does to it
            other.execute("SELECT pg_terminate_backend(%s)", [pid])

    request_started.connect(drop_my_connection)
    try:
        response = client.post(SUBMIT, sale_body(sale_uuid), content_type="application/json")
    finally:
        request_started.disconnect(drop_my_connection)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json() == {"error": "The database is restarting. Nothing was lost: try again in a moment.",
                               "retry": True}
    assert not Sale.objects.filter(client_uuid=sale_uuid).exists()

    again = client.post(SUBMIT, sale_body(sale_uuid), content_type="application/json")
    assert again.status_code == 201
    entries = JournalEntry.objects.count()
    replay = client.post(SUBMIT, sale_body(sale_uuid), content_type="application/json")
    assert replay.status_code == 200 and replay.json()["sale"] == again.json()["sale"]
    assert Sale.objects.filter(client_uuid=sale_uuid).count() == 1
    assert JournalEntry.objects.count() == entries, "the replay posted again"


@pytest.mark.django_db(transaction=True)
def test_a_full_media_volume_fails_the_export_plainly_and_sales_go_on(stocked, client, settings, tmp_path):
    from django.contrib.auth.models import User

    volume = tmp_path / "media"
    volume.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(volume)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        settings.MEDIA_ROOT = volume
        settings.EXPORTS_ROOT = volume / "private" / "exports"
        with open(volume / "filler", "wb", buffering=0) as filler:  # fill the volume to the last byte
            try:
                while filler.write(b"\0" * 4096):
                    pass
            except OSError:
                pass

        owner = User.objects.get(username="owner")
        job = exports.start_export(owner, spec("inventory.items"), "csv", {})
        django_rq.get_worker("default", worker_class=SimpleWorker).work(burst=True)
        job.refresh_from_db()
        assert job.status == ExportJob.Status.FAILED
        assert job.error == "The server's disk is full, so the file could not be written. The owner has been told."
        assert not any(volume.rglob("*.part")), "a partial file was left on the full volume"

        client.force_login(User.objects.get(username="water_staff"))
        sold = client.post(SUBMIT, sale_body(uuid.uuid4()), content_type="application/json")
        assert sold.status_code == 201
        assert Sale.objects.get(pk=sold.json()["sale"]).total > Decimal("0")
    finally:
        subprocess.run(["umount", str(volume)], check=True)
